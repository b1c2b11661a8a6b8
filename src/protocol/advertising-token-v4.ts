/**
 * Advertising token v3/v4 (spec §7.1; identical bytes, v3 = base64, v4 = base64url without padding).
 *
 * Outer (token-header.ts):
 * | offset | size | field                                              |
 * | 0      | 1    | identity byte (scope<<4 | type<<2 | 3; 0x00 seen too) |
 * | 1      | 1    | version: 0x70 (v3) or 0x80 (v4)                    |
 * | 2      | 4    | master key id, int32                               |
 * | 6      | N    | AES-GCM(master key, master payload)                |
 *
 * Master payload (129 B with a 32-byte raw UID, 130 B with 33; vectors README §5):
 * | 0      | 8    | expires ms                                         |
 * | 8      | 8    | created ms                                         |
 * | 16     | 13   | operator identity (token-fields.ts)                |
 * | 29     | 4    | site key id                                        |
 * | 33     | M    | AES-GCM(site key, site payload)                    |
 *
 * Site payload (68 B / 69 B):
 * | 0      | 16   | publisher identity: siteId, publisherId, clientKeyId |
 * | 16     | 4    | privacy bits                                       |
 * | 20     | 8    | established ms                                     |
 * | 28     | 8    | refreshed ms                                       |
 * | 36     | 32/33| raw UID (v2 hash, or v3/v4 with identity first byte) |
 */
import { aesGcmDecrypt, aesGcmSealInto, gcmSealedLength } from './aes.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { ProtocolError } from './errors.ts';
import { readIdentityByte, tokenIdentityByte } from './identity-kinds.ts';
import {
  PUBLISHER_GRANT_SIZE, TOKEN_ISSUE_SIZE, TokenVersion, resolveKey, requireSameIdentity,
  readPublisherGrant, readTokenIssue, writePublisherGrant, writeTokenIssue,
  type IssuedTokenFields, type Key, type KeyLookup,
} from './token-fields.ts';
import { openToken, sealTokenText } from './token-header.ts';

const MASTER_FIXED_SIZE = TOKEN_ISSUE_SIZE + 4;
const SITE_FIXED_SIZE = PUBLISHER_GRANT_SIZE + 8;
const RAW_UID_LENGTHS: readonly number[] = [32, 33];
const V3_OR_V4: readonly number[] = [TokenVersion.V3, TokenVersion.V4];

/** Everything an operator puts into an advertising token. */
export interface AdvertisingTokenFields extends IssuedTokenFields {
  refreshedMs: number;
  /** 32 bytes (raw UID v2) or 33 bytes (v3/v4, first byte carries scope/type). */
  rawUid: Buffer;
}

export interface DecodedAdvertisingTokenV4 extends AdvertisingTokenFields {
  version: 3 | 4;
  /** Header byte 0 as sent (scope/type are read from it; the low bits are not checked). */
  identityByte: number;
  masterKeyId: number;
  siteKeyId: number;
}

/** Explicit IVs for the two GCM layers, so tests can reproduce a token byte for byte. */
export interface AdvertisingTokenIvs {
  master?: Uint8Array;
  site?: Uint8Array;
}

function checkEncodable(fields: AdvertisingTokenFields): void {
  if (!RAW_UID_LENGTHS.includes(fields.rawUid.length)) throw new ProtocolError('ERR_INVALID_INPUT', 'raw UID must be 32 or 33 bytes');
  if (fields.rawUid.length === 33) {
    const inner = readIdentityByte(fields.rawUid[0]);
    if (inner.scope !== fields.scope || inner.type !== fields.type) {
      throw new ProtocolError('ERR_INVALID_INPUT', 'raw UID scope/type differs from the token scope/type');
    }
  }
}

/** The master-key layer's plaintext: the token issue, the site key id and the site-key layer. */
function masterPayload(fields: AdvertisingTokenFields, siteKey: Key, ivs: AdvertisingTokenIvs): Buffer {
  checkEncodable(fields);
  const site = ByteWriter.alloc(SITE_FIXED_SIZE + fields.rawUid.length);
  writePublisherGrant(site, fields);
  site.i64(fields.refreshedMs).bytes(fields.rawUid);

  const master = ByteWriter.alloc(MASTER_FIXED_SIZE + gcmSealedLength(site.buf.length));
  writeTokenIssue(master, fields);
  master.i32(siteKey.id);
  aesGcmSealInto(master.buf, master.offset, siteKey.secret, site.buf, { iv: ivs.site });
  return master.buf;
}

function encodeText(version: number, encoding: 'base64' | 'base64url', fields: AdvertisingTokenFields, masterKey: Key, siteKey: Key, ivs: AdvertisingTokenIvs): string {
  return sealTokenText(tokenIdentityByte(fields.scope, fields.type), version, masterKey, masterPayload(fields, siteKey, ivs), encoding, ivs.master);
}

/** The token the operator emits (spec §7: always v4): base64url without padding. */
export function encodeAdvertisingTokenV4(fields: AdvertisingTokenFields, masterKey: Key, siteKey: Key, ivs: AdvertisingTokenIvs = {}): string {
  return encodeText(TokenVersion.V4, 'base64url', fields, masterKey, siteKey, ivs);
}

/** Same bytes with version 0x70, standard base64 (decoded for compatibility; useful in tests). */
export function encodeAdvertisingTokenV3(fields: AdvertisingTokenFields, masterKey: Key, siteKey: Key, ivs: AdvertisingTokenIvs = {}): string {
  return encodeText(TokenVersion.V3, 'base64', fields, masterKey, siteKey, ivs);
}

/** Decodes the bytes of a v3 or v4 token (already base64-decoded by the caller). */
export function decodeAdvertisingTokenV4Bytes(bytes: Buffer, lookup: KeyLookup): DecodedAdvertisingTokenV4 {
  const token = openToken(bytes, lookup, V3_OR_V4, 'an advertising token v3/v4');
  const master = new ByteReader(token.payload);
  const issue = readTokenIssue(master);
  const siteKeyId = master.i32();
  const siteKey = resolveKey(lookup, siteKeyId);
  const site = new ByteReader(aesGcmDecrypt(siteKey.secret, master.rest()));
  const grant = readPublisherGrant(site);
  const refreshedMs = site.i64();
  const rawUid = site.rest();
  if (!RAW_UID_LENGTHS.includes(rawUid.length)) throw new ProtocolError('ERR_FORMAT', 'raw UID must be 32 or 33 bytes');
  const { scope, type } = readIdentityByte(token.identityByte);
  if (rawUid.length === 33) requireSameIdentity({ scope, type }, rawUid[0]);
  return {
    version: token.version === TokenVersion.V4 ? 4 : 3,
    identityByte: token.identityByte,
    scope,
    type,
    masterKeyId: token.keyId,
    siteKeyId,
    ...issue,
    ...grant,
    refreshedMs,
    rawUid,
  };
}
