/**
 * CSTG sends only hashes (spec §9): raw emails and phones are turned into the `email_hash` /
 * `phone_hash` the operator would have computed itself (spec §5), using the protocol's
 * normalization so client and operator agree byte for byte.
 */
import { parseIdentity } from '../protocol/identity-input.ts';
import { encodeBase64 } from '../protocol/base64.ts';
import { Uid2ClientError } from './client-error.ts';
import type { IdentityInput } from './wire-types.ts';

export type HashedIdentity = { email_hash: string } | { phone_hash: string };

export function toHashedIdentity(identity: IdentityInput): HashedIdentity {
  if ('email_hash' in identity || 'phone_hash' in identity) return identity;
  const field = 'email' in identity ? 'email' : 'phone';
  const parsed = parseIdentity(field, 'email' in identity ? identity.email : identity.phone);
  if (parsed === null) throw new Uid2ClientError(0, 'client_error', `invalid ${field}`);
  const hash = encodeBase64(parsed.hash);
  return field === 'email' ? { email_hash: hash } : { phone_hash: hash };
}
