/** The `uid2` command line: one subcommand per service or tool. */
import { Command } from 'commander';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('uid2').description('UID2 private operator system for Azure confidential computing');
  program.command('start').description('start a demo operator on 127.0.0.1:8080').action(() => {
    program.outputHelp();
  });
  await program.parseAsync(argv);
}
