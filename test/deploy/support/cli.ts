/** Spawns `run-command.ts` for a command module and collects its exit status and output. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { repoRoot, tsLoader } from '../../support/shared.ts';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const runner = fileURLToPath(new URL('./run-command.ts', import.meta.url));

export function runCommand(moduleName: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', tsLoader, runner, moduleName, ...args], {
    cwd: repoRoot,
    env: options.env ?? process.env,
    input: options.input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
