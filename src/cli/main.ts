/**
 * The `uid2` command line. Each subcommand lives in `src/cli/commands/<name>.ts` and exports
 * `register(program)`; they are discovered here so that adding a command touches one file.
 */
import { readdirSync } from 'node:fs';
import { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
}

export async function loadProgram(): Promise<Command> {
  const program = new Command('uid2')
    .description('UID2 private operator system for Azure confidential computing')
    .showHelpAfterError();
  const dir = new URL('./commands/', import.meta.url);
  const names = readdirSync(dir).filter((n) => /\.(ts|js)$/.test(n) && !n.endsWith('.d.ts')).sort();
  for (const name of names) {
    const mod = (await import(new URL(name, dir).href)) as CommandModule;
    mod.register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await loadProgram();
  await program.parseAsync(argv);
}
