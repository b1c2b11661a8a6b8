/** `uid2 buckets --since TS`: salt buckets rotated since a time (POST /v2/identity/buckets, spec §4.7). */
import type { Command } from 'commander';
import { clientFromEnv } from '../client/client-from-env.ts';
import { jsonAction } from '../client/json-action.ts';

export function register(program: Command): void {
  program
    .command('buckets')
    .description('list salt buckets rotated since a UTC time')
    .requiredOption('--since <timestamp>', 'UTC date-time, e.g. 2024-05-01T00:00:00 (a trailing Z or ms epoch is accepted too)')
    .action(jsonAction((opts: { since: string }) => clientFromEnv().buckets(opts.since)));
}
