/** `uid2 keys sharing|bidstream|latest`: the key endpoints (spec §4.10, §8.3). */
import type { Command } from 'commander';
import { clientFromEnv } from '../client/client-from-env.ts';
import { jsonAction } from '../client/json-action.ts';

export function register(program: Command): void {
  const keys = program.command('keys').description('fetch encryption keys');
  keys.command('sharing').description('POST /v2/key/sharing').action(jsonAction(() => clientFromEnv().keysSharing()));
  keys.command('bidstream').description('POST /v2/key/bidstream').action(jsonAction(() => clientFromEnv().keysBidstream()));
  keys.command('latest').description('POST /v2/key/latest (legacy)').action(jsonAction(() => clientFromEnv().keyLatest()));
}
