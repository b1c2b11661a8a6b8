/**
 * Runs `node bin/uid2.mjs optout --data DIR --port 0 ...` as a child process for the durability
 * tests and reads the URL it logs (test/support/service-process.ts). `kill()` defaults to SIGKILL
 * (a crash); a test must always call it, it is a no-op once the child has exited.
 */
import { LISTENING, spawnService, type ServiceProcess } from '../support/service-process.ts';

export type OptOutProcess = ServiceProcess;

export function spawnOptOut(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<OptOutProcess> {
  return spawnService(['optout', '--data', dataDir, '--port', '0', ...extraArgs], LISTENING.optout, { ...env, LOG_LEVEL: 'info' }, timeoutMs);
}
