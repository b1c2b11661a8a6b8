/**
 * `uid2 optout status ID...`: which raw UIDs are opted out (POST /v2/optout/status, spec §4.8).
 * Another command file may also define `optout`; the subcommand is then added to that group.
 */
import type { Command } from 'commander';
import { clientFromEnv } from '../client/client-from-env.ts';
import { jsonAction } from '../client/json-action.ts';

export function register(program: Command): void {
  const optout =
    program.commands.find((c) => c.name() === 'optout') ?? program.command('optout').description('opt-out queries');
  optout
    .command('status')
    .description('POST /v2/optout/status')
    .argument('<ids...>', 'base64 raw UIDs (advertising ids)')
    .action(jsonAction((ids: string[]) => clientFromEnv().optoutStatus(ids)));
}
