/**
 * `uid2 map`: identity map v3 (binary envelope, spec §4.6) or, with --v2, v2 (spec §4.5).
 */
import type { Command } from 'commander';
import { clientFromEnv } from '../client/client-from-env.ts';
import { CliUsageError, jsonAction } from '../client/json-action.ts';
import type { MapV3Input } from '../../client/wire-types.ts';

interface MapOptions {
  email?: string[];
  phone?: string[];
  emailHash?: string[];
  phoneHash?: string[];
  v2?: boolean;
  linkId?: string;
}

function mapInput(opts: MapOptions): MapV3Input {
  const input: MapV3Input = {};
  if (opts.email) input.email = opts.email;
  if (opts.emailHash) input.email_hash = opts.emailHash;
  if (opts.phone) input.phone = opts.phone;
  if (opts.phoneHash) input.phone_hash = opts.phoneHash;
  if (Object.keys(input).length === 0) throw new CliUsageError('give at least one of --email, --phone, --email-hash, --phone-hash');
  return input;
}

export function register(program: Command): void {
  program
    .command('map')
    .description('map DII to raw UIDs (POST /v3/identity/map, or /v2/identity/map with --v2)')
    .option('--email <emails...>', 'email addresses')
    .option('--phone <phones...>', 'E.164 phone numbers')
    .option('--email-hash <hashes...>', 'base64 SHA-256 email hashes')
    .option('--phone-hash <hashes...>', 'base64 SHA-256 phone hashes')
    .option('--v2', 'use /v2/identity/map (one identity kind per request)')
    .option('--link-id <id>', 'v2 only: service link id')
    .action(
      jsonAction((opts: MapOptions) => {
        const input = mapInput(opts);
        if (!opts.v2) {
          if (opts.linkId !== undefined) throw new CliUsageError('--link-id needs --v2');
          return clientFromEnv().mapIdentities(input);
        }
        return clientFromEnv().mapIdentitiesV2(input, opts.linkId);
      }),
    );
}
