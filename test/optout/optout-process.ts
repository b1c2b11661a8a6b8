/**
 * Runs `node bin/uid2.mjs optout --data DIR --port 0 ...` as a child process for the durability
 * tests and reads the URL it logs. `kill()` defaults to SIGKILL (a crash); a test must always
 * call it, it is a no-op once the child has exited.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';

export interface OptOutProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the child printed so far (for failure messages). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnOptOut(dataDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<OptOutProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'uid2.mjs'), 'optout', '--data', dataDir, '--port', '0', ...extraArgs], {
    cwd: repoRoot,
    env: { ...process.env, ...env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`optout did not start: ${out}`)), timeoutMs);
      const check = () => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`optout exited with ${code}: ${out}`));
      });
    });
    return { url, child, output: () => out, kill };
  } catch (err) {
    await kill();
    throw err;
  }
}
