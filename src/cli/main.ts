/**
 * The `uid2` command line. Each subcommand lives in `src/cli/commands/<name>.ts` and exports
 * `register(program)`; they are discovered here so that adding a command touches one file.
 */
import { readdirSync } from 'node:fs';
import { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
}

/**
 * Only the modules a command needs are imported: each file is named after the command it
 * registers (`optout-status.ts` adds a subcommand to `optout`), and importing every service
 * costs seconds of start-up. Help and unknown commands load them all.
 */
function selectModules(names: string[], command: string | undefined): string[] {
  if (command === undefined || command.startsWith('-')) return names;
  const matching = names.filter((n) => {
    const base = n.replace(/\.(ts|js)$/, '');
    return base === command || base.startsWith(`${command}-`);
  });
  return matching.length > 0 ? matching : names;
}

export async function loadProgram(command?: string): Promise<Command> {
  const program = new Command('uid2')
    .description('UID2 private operator system for Azure confidential computing')
    .showHelpAfterError();
  const dir = new URL('./commands/', import.meta.url);
  const names = readdirSync(dir).filter((n) => /\.(ts|js)$/.test(n) && !n.endsWith('.d.ts')).sort();
  for (const name of selectModules(names, command)) {
    const mod = (await import(new URL(name, dir).href)) as CommandModule;
    mod.register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await loadProgram(argv[2]);
  await program.parseAsync(argv);
}
