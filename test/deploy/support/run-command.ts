/**
 * Runs one CLI command module in a child process, as `uid2` would, but without loading every
 * other command: `node --import scripts/ts-loader.mjs run-command.ts <module name> <args...>`. Keeps these tests
 * about the deploy commands independent of unrelated commands being edited in parallel.
 */
import { Command } from 'commander';

const [moduleName, ...args] = process.argv.slice(2);
const mod = (await import(new URL(`../../../src/cli/commands/${moduleName}.ts`, import.meta.url).href)) as {
  register(program: Command): void;
};
const program = new Command('uid2');
mod.register(program);
await program.parseAsync(args, { from: 'user' });
