/**
 * Refresh token v3 (spec §7.3; operator-internal, base64, 124 bytes → 168 chars).
 *
 * | offset | size | field                                      |
 * | 0      | 1    | identity byte (scope<<4 | type<<2 | 3)      |
 * | 1      | 1    | version 0x70                               |
 * | 2      | 4    | refresh key id, int32                      |
 * | 6      | 118  | AES-GCM(refresh key, payload)              |
 *
 * Payload (90 B):
 * | 0      | 8    | expires ms                                 |
 * | 8      | 8    | created ms                                 |
 * | 16     | 13   | operator identity                          |
 * | 29     | 16   | publisher identity: siteId, publisherId, clientKeyId |
 * | 45     | 4    | privacy bits                               |
 * | 49     | 8    | established ms                             |
 * | 57     | 1    | identity byte (must match byte 0's scope/type) |
 * | 58     | 32   | first-level hash                           |
 *
 * It carries the first-level hash, not the raw UID, so a refresh re-derives the UID from the
 * current salt bucket.
 */
import { aesGcmDecrypt, aesGcmSealInto, gcmSealedLength } from './aes.ts';
import { encodeBase64 } from './base64.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { ProtocolError } from './errors.ts';
import { readIdentityByte, tokenIdentityByte, type IdentityScope, type IdentityType } from './identity-kinds.ts';
import {
  OPERATOR_IDENTITY_SIZE,
  PUBLISHER_IDENTITY_SIZE,
  TokenVersion,
  readOperatorIdentity,
  readPublisherIdentity,
  requireSameIdentity,
  resolveKey,
  writeOperatorIdentity,
  writePublisherIdentity,
  type Key,
  type KeyLookup,
  type OperatorIdentity,
} from './token-fields.ts';

const HEADER_SIZE = 6;
const FIRST_LEVEL_HASH_SIZE = 32;
export const REFRESH_TOKEN_V3_PAYLOAD_SIZE = 8 + 8 + OPERATOR_IDENTITY_SIZE + PUBLISHER_IDENTITY_SIZE + 4 + 8 + 1 + FIRST_LEVEL_HASH_SIZE;
export const REFRESH_TOKEN_V3_SIZE = HEADER_SIZE + gcmSealedLength(REFRESH_TOKEN_V3_PAYLOAD_SIZE);

export interface RefreshTokenFields {
  scope: IdentityScope;
  type: IdentityType;
  expiresMs: number;
  createdMs: number;
  operator: OperatorIdentity;
  siteId: number;
  publisherId: number;
  clientKeyId: number;
  privacyBits: number;
  establishedMs: number;
  firstLevelHash: Buffer;
}

export interface DecodedRefreshTokenV3 extends RefreshTokenFields {
  version: 3;
  identityByte: number;
  innerIdentityByte: number;
  keyId: number;
}

export function encodeRefreshTokenV3(fields: RefreshTokenFields, key: Key, iv?: Uint8Array): string {
  if (fields.firstLevelHash.length !== FIRST_LEVEL_HASH_SIZE) throw new ProtocolError('ERR_INVALID_INPUT', 'first-level hash must be 32 bytes');
  const identityByte = tokenIdentityByte(fields.scope, fields.type);
  const payload = ByteWriter.alloc(REFRESH_TOKEN_V3_PAYLOAD_SIZE);
  payload.i64(fields.expiresMs).i64(fields.createdMs);
  writeOperatorIdentity(payload, fields.operator);
  writePublisherIdentity(payload, fields);
  payload.i32(fields.privacyBits).i64(fields.establishedMs).u8(identityByte).bytes(fields.firstLevelHash);

  const out = ByteWriter.alloc(REFRESH_TOKEN_V3_SIZE);
  out.u8(identityByte).u8(TokenVersion.V3).i32(key.id);
  aesGcmSealInto(out.buf, out.offset, key.secret, payload.buf, { iv });
  return encodeBase64(out.buf);
}

/** Decodes the bytes of a refresh token v3 (already base64-decoded). */
export function decodeRefreshTokenV3Bytes(bytes: Buffer, lookup: KeyLookup): DecodedRefreshTokenV3 {
  const r = new ByteReader(bytes);
  const identityByte = r.u8();
  if (r.u8() !== TokenVersion.V3) throw new ProtocolError('ERR_VERSION', 'not a refresh token v3');
  const keyId = r.i32();
  const plain = aesGcmDecrypt(resolveKey(lookup, keyId).secret, r.rest());
  if (plain.length !== REFRESH_TOKEN_V3_PAYLOAD_SIZE) throw new ProtocolError('ERR_FORMAT', 'refresh token payload has the wrong size');
  const p = new ByteReader(plain);
  const expiresMs = p.i64();
  const createdMs = p.i64();
  const operator = readOperatorIdentity(p);
  const publisher = readPublisherIdentity(p);
  const privacyBits = p.i32();
  const establishedMs = p.i64();
  const innerIdentityByte = p.u8();
  const firstLevelHash = p.bytes(FIRST_LEVEL_HASH_SIZE);
  const { scope, type } = readIdentityByte(identityByte);
  requireSameIdentity({ scope, type }, innerIdentityByte);
  return {
    version: 3,
    identityByte,
    innerIdentityByte,
    keyId,
    scope,
    type,
    expiresMs,
    createdMs,
    operator,
    siteId: publisher.siteId,
    publisherId: publisher.publisherId,
    clientKeyId: publisher.clientKeyId,
    privacyBits,
    establishedMs,
    firstLevelHash,
  };
}
