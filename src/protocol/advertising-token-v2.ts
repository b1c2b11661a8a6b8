/**
 * Legacy AES-CBC tokens, decode only (spec §7.2; vectors README §6).
 *
 * Advertising token v2 (base64, 133 bytes):
 * | offset | size | field                                             |
 * | 0      | 1    | version 0x02                                      |
 * | 1      | 4    | master key id, int32                              |
 * | 5      | N    | AES-CBC(master key, master payload)               |
 * Master payload:
 * | 0      | 8    | expires ms                                        |
 * | 8      | 4    | site key id                                       |
 * | 12     | M    | AES-CBC(site key, legacy site payload)            |
 *
 * User token v2 (the 2022 responses' `user_token`, 101 bytes): 0x02 ‖ site key id int32 ‖
 * AES-CBC(site key, legacy site payload); no master layer, no expiry.
 */
import { aesCbcDecrypt } from './aes.ts';
import { decodeBase64 } from './base64.ts';
import { ByteReader } from './byte-reader.ts';
import { ProtocolError } from './errors.ts';
import { IdentityScope, IdentityType } from './identity-kinds.ts';
import { decryptLegacySitePayload } from './legacy-site-payload.ts';
import { TokenVersion, resolveKey, type KeyLookup } from './token-fields.ts';

export interface DecodedUserTokenV2 {
  siteKeyId: number;
  siteId: number;
  rawUid: Buffer;
  privacyBits: number;
  establishedMs: number;
}

export interface DecodedAdvertisingTokenV2 extends DecodedUserTokenV2 {
  version: 2;
  /** v2 tokens carry no identity byte; upstream treats them as UID2 email. */
  scope: typeof IdentityScope.UID2;
  type: typeof IdentityType.Email;
  masterKeyId: number;
  expiresMs: number;
}

function readVersion(r: ByteReader): void {
  if (r.u8() !== TokenVersion.V2) throw new ProtocolError('ERR_VERSION', 'not a v2 token');
}

function readSiteLayer(r: ByteReader, lookup: KeyLookup): DecodedUserTokenV2 {
  const siteKeyId = r.i32();
  const payload = decryptLegacySitePayload(resolveKey(lookup, siteKeyId), r.rest());
  return {
    siteKeyId,
    siteId: payload.siteId,
    rawUid: payload.identity,
    privacyBits: payload.privacyBits,
    establishedMs: payload.establishedMs,
  };
}

/** Decodes the bytes of an advertising token v2 (already base64-decoded). */
export function decodeAdvertisingTokenV2Bytes(bytes: Buffer, lookup: KeyLookup): DecodedAdvertisingTokenV2 {
  const r = new ByteReader(bytes);
  readVersion(r);
  const masterKeyId = r.i32();
  const master = new ByteReader(aesCbcDecrypt(resolveKey(lookup, masterKeyId).secret, r.rest()));
  const expiresMs = master.i64();
  const site = readSiteLayer(master, lookup);
  return { version: 2, scope: IdentityScope.UID2, type: IdentityType.Email, masterKeyId, expiresMs, ...site };
}

/** Decodes a legacy `user_token` (base64). */
export function decodeUserTokenV2(token: string, lookup: KeyLookup): DecodedUserTokenV2 {
  const r = new ByteReader(decodeBase64(token));
  readVersion(r);
  return readSiteLayer(r, lookup);
}
