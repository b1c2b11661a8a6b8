/**
 * Refresh token v2 (spec §7.4; decode only, assumed UID2 email). Seen inside the 2022 refresh
 * envelopes (vectors README §6): 125 bytes, base64.
 *
 * | offset | size | field                                                     |
 * | 0      | 1    | version 0x02                                              |
 * | 1      | 8    | created ms                                                |
 * | 9      | 8    | expires ms (ignored upstream)                             |
 * | 17     | 8    | valid-till ms (= expires + 60 s; the expiry actually used) |
 * | 25     | 4    | key id, int32                                             |
 * | 29     | N    | AES-CBC(key, legacy site payload with the first-level hash) |
 */
import { ByteReader } from './byte-reader.ts';
import { ProtocolError } from './errors.ts';
import { IdentityScope, IdentityType } from './identity-kinds.ts';
import { decryptLegacySitePayload } from './legacy-site-payload.ts';
import { TokenVersion, resolveKey, type KeyLookup } from './token-fields.ts';

export interface DecodedRefreshTokenV2 {
  version: 2;
  scope: typeof IdentityScope.UID2;
  type: typeof IdentityType.Email;
  keyId: number;
  createdMs: number;
  /** The effective expiry: the token's valid-till field (upstream `decodeRefreshTokenV2`). */
  expiresMs: number;
  /** The expires field as stored, which upstream ignores. */
  storedExpiresMs: number;
  siteId: number;
  privacyBits: number;
  establishedMs: number;
  firstLevelHash: Buffer;
}

export function decodeRefreshTokenV2Bytes(bytes: Buffer, lookup: KeyLookup): DecodedRefreshTokenV2 {
  const r = new ByteReader(bytes);
  if (r.u8() !== TokenVersion.V2) throw new ProtocolError('ERR_VERSION', 'not a refresh token v2');
  const createdMs = r.i64();
  const storedExpiresMs = r.i64();
  const validTillMs = r.i64();
  const keyId = r.i32();
  const payload = decryptLegacySitePayload(resolveKey(lookup, keyId), r.rest());
  return {
    version: 2,
    scope: IdentityScope.UID2,
    type: IdentityType.Email,
    keyId,
    createdMs,
    expiresMs: validTillMs,
    storedExpiresMs,
    siteId: payload.siteId,
    privacyBits: payload.privacyBits,
    establishedMs: payload.establishedMs,
    firstLevelHash: payload.identity,
  };
}
