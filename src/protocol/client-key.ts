/**
 * Operator/client API keys (spec §2.1; upstream `KeyHasher`, `AuthorizableStore`,
 * `SecureKeyGenerator`).
 *
 * Key format: <scope>-<type>-<env>-<siteId>-<r[0..6)>.<r[6..44)>
 * | part    | values                                                              |
 * | scope   | UID2 or EUID                                                        |
 * | type    | C (client) or O (operator)                                          |
 * | env     | L, T, I or P                                                        |
 * | siteId  | decimal digits                                                      |
 * | r       | standard base64 (with padding) of 32 random bytes: 44 characters    |
 * key_id = <scope>-<type>-<env>-<siteId>-<r[0..5)>.
 *
 * Stored hash: key_hash = base64(SHA-512(salt bytes ‖ UTF-8(key))), key_salt = base64(salt).
 * Legacy keys without the prefix exist; they are valid keys but `parseClientKey` returns null.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeBase64, encodeBase64, isBase64 } from './base64.ts';
import { ProtocolError } from './errors.ts';

export type ClientKeyScope = 'UID2' | 'EUID';
export type ClientKeyType = 'C' | 'O';
export type ClientKeyEnvironment = 'L' | 'T' | 'I' | 'P';

export interface ClientKeyParts {
  readonly scopePrefix: ClientKeyScope;
  readonly type: ClientKeyType;
  readonly env: ClientKeyEnvironment;
  readonly siteId: number;
  readonly keyId: string;
}

const RANDOM_BYTES = 32;
const DOT_AFTER = 6;
const KEY_ID_RANDOM_CHARS = 5;
const MAX_SITE_ID = 0x7fffffff;
// Java's `.` excludes line terminators; upstream uses `find()`, we match the whole key because
// the site id only narrows which salts are tried before the full key is hashed anyway.
const ANY = '[^\\n\\r\\u0085\\u2028\\u2029]';
const KEY_PATTERN = new RegExp(`^(UID2|EUID)-([CO])-([LTIP])-([0-9]+)-(${ANY}{6})\\.${ANY}{38}$`);

/** base64(SHA-512(salt ‖ UTF-8(key))). `salt` is the record's base64 `key_salt`, or raw bytes. */
export function hashClientKey(salt: string | Uint8Array, key: string): string {
  const saltBytes = typeof salt === 'string' ? decodeBase64(salt) : salt;
  return encodeBase64(createHash('sha512').update(saltBytes).update(key, 'utf8').digest());
}

/** Constant-time check of a presented key against a stored `key_hash` (base64). */
export function isClientKeyHashMatch(salt: string | Uint8Array, key: string, expectedHashB64: string): boolean {
  if (!isBase64(expectedHashB64)) return false;
  const expected = Buffer.from(expectedHashB64, 'base64');
  const actual = Buffer.from(hashClientKey(salt, key), 'base64');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Splits a prefixed key; `null` for legacy or malformed keys. */
export function parseClientKey(key: string): ClientKeyParts | null {
  const match = KEY_PATTERN.exec(key);
  if (match === null) return null;
  const siteId = Number(match[4]);
  if (!Number.isSafeInteger(siteId) || siteId > MAX_SITE_ID) return null;
  const prefix = `${match[1]}-${match[2]}-${match[3]}-${match[4]}-`;
  return {
    scopePrefix: match[1] as ClientKeyScope,
    type: match[2] as ClientKeyType,
    env: match[3] as ClientKeyEnvironment,
    siteId,
    keyId: prefix + match[5].slice(0, KEY_ID_RANDOM_CHARS),
  };
}

/** Builds a new key and its key_id from 32 random bytes, in upstream's format. */
export function formatClientKey(
  scopePrefix: ClientKeyScope,
  type: ClientKeyType,
  env: ClientKeyEnvironment,
  siteId: number,
  randomBytes32: Uint8Array,
): { key: string; keyId: string } {
  if (randomBytes32.length !== RANDOM_BYTES) throw new ProtocolError('ERR_INVALID_INPUT', 'need 32 random bytes');
  if (!Number.isInteger(siteId) || siteId < 0 || siteId > MAX_SITE_ID) {
    throw new ProtocolError('ERR_INVALID_INPUT', 'site id out of range');
  }
  const random = encodeBase64(randomBytes32);
  const prefix = `${scopePrefix}-${type}-${env}-${siteId}-`;
  return {
    key: `${prefix}${random.slice(0, DOT_AFTER)}.${random.slice(DOT_AFTER)}`,
    keyId: prefix + random.slice(0, KEY_ID_RANDOM_CHARS),
  };
}
