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
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { ProtocolError } from './errors.ts';
import { readIdentityByte, tokenIdentityByte } from './identity-kinds.ts';
import {
  PUBLISHER_GRANT_SIZE, TOKEN_ISSUE_SIZE, TokenVersion, requireSameIdentity,
  readPublisherGrant, readTokenIssue, writePublisherGrant, writeTokenIssue,
  type IssuedTokenFields, type Key, type KeyLookup,
} from './token-fields.ts';
import { openToken, sealTokenText, sealedTokenLength } from './token-header.ts';

const FIRST_LEVEL_HASH_SIZE = 32;
const V3_ONLY: readonly number[] = [TokenVersion.V3];
export const REFRESH_TOKEN_V3_PAYLOAD_SIZE = TOKEN_ISSUE_SIZE + PUBLISHER_GRANT_SIZE + 1 + FIRST_LEVEL_HASH_SIZE;
export const REFRESH_TOKEN_V3_SIZE = sealedTokenLength(REFRESH_TOKEN_V3_PAYLOAD_SIZE);

export interface RefreshTokenFields extends IssuedTokenFields {
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
  writeTokenIssue(payload, fields);
  writePublisherGrant(payload, fields);
  payload.u8(identityByte).bytes(fields.firstLevelHash);
  return sealTokenText(identityByte, TokenVersion.V3, key, payload.buf, 'base64', iv);
}

/** Decodes the bytes of a refresh token v3 (already base64-decoded). */
export function decodeRefreshTokenV3Bytes(bytes: Buffer, lookup: KeyLookup): DecodedRefreshTokenV3 {
  const token = openToken(bytes, lookup, V3_ONLY, 'a refresh token v3');
  if (token.payload.length !== REFRESH_TOKEN_V3_PAYLOAD_SIZE) throw new ProtocolError('ERR_FORMAT', 'refresh token payload has the wrong size');
  const p = new ByteReader(token.payload);
  const issue = readTokenIssue(p);
  const grant = readPublisherGrant(p);
  const innerIdentityByte = p.u8();
  const firstLevelHash = p.bytes(FIRST_LEVEL_HASH_SIZE);
  const { scope, type } = readIdentityByte(token.identityByte);
  requireSameIdentity({ scope, type }, innerIdentityByte);
  return {
    version: 3,
    identityByte: token.identityByte,
    innerIdentityByte,
    keyId: token.keyId,
    scope,
    type,
    ...issue,
    ...grant,
    firstLevelHash,
  };
}
