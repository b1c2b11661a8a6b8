/**
 * API keys (client and operator) in the upstream format, and how they are stored (spec
 * operator-spec.md §2.1): `<SCOPE>-<C|O>-<env>-<siteId>-<6 chars>.<38 chars>`, the random part
 * being base64 of 32 random bytes with a `.` after char 6; `key_id` is the prefix plus the first
 * 5 random chars. Only `key_hash` = base64(SHA-512(salt ‖ key)) and `key_salt` are stored.
 */
import { randomBytes } from 'node:crypto';
import { hashKey } from '../../auth/index.ts';

export type KeyScope = 'UID2' | 'EUID';
/** C = API client, O = operator. */
export type KeyKind = 'C' | 'O';

export interface GeneratedKey {
  readonly key: string;
  readonly keyId: string;
}

export interface StoredKeyFields {
  readonly key_id: string;
  readonly key_hash: string;
  readonly key_salt: string;
}

export function generateApiKey(scope: KeyScope, kind: KeyKind, siteId: number, env = 'L'): GeneratedKey {
  const prefix = `${scope}-${kind}-${env}-${siteId}-`;
  const random = randomBytes(32).toString('base64');
  return { key: `${prefix}${random.slice(0, 6)}.${random.slice(6)}`, keyId: prefix + random.slice(0, 5) };
}

/** The fields that let the key be recognised without storing it. */
export function storedKeyFields(generated: GeneratedKey): StoredKeyFields {
  const salt = randomBytes(32);
  return { key_id: generated.keyId, key_hash: hashKey(salt, generated.key), key_salt: salt.toString('base64') };
}

/** base64 of `n` random bytes: client secrets, key secrets, salts. */
export function randomBase64(n = 32): string {
  return randomBytes(n).toString('base64');
}
