/**
 * The single identity of generate/validate/logout (spec §4, upstream `getTokenInputV2`):
 * exactly one of email, email_hash, phone, phone_hash (phone fields ignored without phone support).
 */
import { parseIdentity, type Identity, type IdentityField } from '../../protocol/identity-input.ts';
import { ClientError, Messages } from '../errors.ts';

export type IdentityInput = { readonly field: IdentityField; readonly identity: Identity | null } | null;

/** The identity field sent, parsed; `null` when zero or several were sent; `identity` null when invalid. */
export function readIdentityInput(payload: Record<string, unknown>, phoneSupport: boolean): IdentityInput {
  const fields: IdentityField[] = phoneSupport ? ['email', 'email_hash', 'phone', 'phone_hash'] : ['email', 'email_hash'];
  const present = fields.filter((f) => payload[f] !== undefined && payload[f] !== null);
  if (present.length !== 1) return null;
  const field = present[0];
  return { field, identity: parseIdentity(field, payload[field]) };
}

/** As `readIdentityInput`, answering the upstream 400s for a missing or invalid identity. */
export function requireIdentity(payload: Record<string, unknown>, phoneSupport: boolean): Identity {
  const input = readIdentityInput(payload, phoneSupport);
  if (input === null) throw new ClientError(Messages.exactlyOneIdentity(phoneSupport));
  if (input.identity === null) throw new ClientError(Messages.invalidIdentifier);
  return input.identity;
}
