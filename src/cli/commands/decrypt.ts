/**
 * `uid2 decrypt TOKEN`: fetches keys from /v2/key/sharing (or /v2/key/bidstream) and prints every
 * field of the advertising token as JSON (spec §7).
 */
import type { Command } from 'commander';
import { clientFromEnv } from '../client/client-from-env.ts';
import { jsonAction } from '../client/json-action.ts';

export function register(program: Command): void {
  program
    .command('decrypt')
    .description('decrypt an advertising token with keys fetched from the operator')
    .argument('<token>', 'advertising token (v2, v3 or v4)')
    .option('--bidstream', 'use /v2/key/bidstream keys instead of /v2/key/sharing')
    .action(
      jsonAction((token: string, opts: { bidstream?: boolean }) =>
        clientFromEnv().decryptToken(token, { keySource: opts.bidstream ? 'bidstream' : 'sharing' }),
      ),
    );
}
