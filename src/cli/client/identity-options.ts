/**
 * The four identity options shared by `token generate|validate|logout|cstg`
 * (exactly one, as the single-identity endpoints require, spec §4).
 */
import type { Command } from 'commander';
import type { IdentityInput } from '../../client/wire-types.ts';
import { CliUsageError } from './json-action.ts';

export interface IdentityOptions {
  email?: string;
  phone?: string;
  emailHash?: string;
  phoneHash?: string;
}

export function addIdentityOptions(cmd: Command): Command {
  return cmd
    .option('--email <email>', 'email address (normalized by the operator)')
    .option('--phone <phone>', 'E.164 phone number, e.g. +12345678901')
    .option('--email-hash <hash>', 'base64 SHA-256 of the normalized email')
    .option('--phone-hash <hash>', 'base64 SHA-256 of the phone number');
}

export function identityFromOptions(opts: IdentityOptions): IdentityInput {
  const given: IdentityInput[] = [];
  if (opts.email !== undefined) given.push({ email: opts.email });
  if (opts.phone !== undefined) given.push({ phone: opts.phone });
  if (opts.emailHash !== undefined) given.push({ email_hash: opts.emailHash });
  if (opts.phoneHash !== undefined) given.push({ phone_hash: opts.phoneHash });
  if (given.length !== 1) throw new CliUsageError('give exactly one of --email, --phone, --email-hash, --phone-hash');
  return given[0];
}
