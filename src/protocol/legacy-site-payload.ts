/**
 * The AES-CBC site payload shared by legacy v2 advertising tokens and v2 user tokens, and (with a
 * first-level hash in place of the raw UID) by refresh tokens v2 (spec §7.2, §7.4):
 *
 * | offset | size | field                                   |
 * | 0      | 4    | site id, int32                          |
 * | 4      | 4    | length L of the next field, int32       |
 * | 8      | L    | ASCII base64 of the 32-byte identity    |
 * | 8+L    | 4    | privacy bits, int32                     |
 * | 12+L   | 8    | established ms, int64                   |
 */
import { aesCbcDecrypt } from './aes.ts';
import { decodeBase64 } from './base64.ts';
import { ByteReader } from './byte-reader.ts';
import { ProtocolError } from './errors.ts';
import type { Key } from './token-fields.ts';

export interface LegacySitePayload {
  siteId: number;
  /** Raw UID (advertising/user token) or first-level hash (refresh token). */
  identity: Buffer;
  privacyBits: number;
  establishedMs: number;
}

/** Identities base64-encoded inside legacy payloads are always 32-byte hashes: 44 characters. */
const IDENTITY_B64_LENGTH = 44;

export function decryptLegacySitePayload(key: Key, encrypted: Buffer): LegacySitePayload {
  const r = new ByteReader(aesCbcDecrypt(key.secret, encrypted));
  const siteId = r.i32();
  const length = r.i32();
  if (length !== IDENTITY_B64_LENGTH) throw new ProtocolError('ERR_FORMAT', 'legacy identity field has the wrong length');
  const text = r.bytes(length).toString('latin1');
  let identity: Buffer;
  try {
    identity = decodeBase64(text);
  } catch {
    throw new ProtocolError('ERR_FORMAT', 'legacy identity field is not base64');
  }
  const privacyBits = r.i32();
  const establishedMs = r.i64();
  r.expectEnd('legacy site payload');
  return { siteId, identity, privacyBits, establishedMs };
}
