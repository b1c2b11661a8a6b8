/**
 * Advertising tokens: the operator emits v4 (advertising-token-v4.ts) and decodes v2, v3 and v4
 * (spec §7, `EncryptedTokenEncoder.decodeAdvertisingToken`).
 *
 * Version detection (spec §7.1): decode the first 4 characters (base64url if they contain `-` or
 * `_`, standard otherwise); byte 0 == 2 ⇒ v2 (standard base64); else byte 1 == 0x70 ⇒ v3
 * (standard base64); byte 1 == 0x80 ⇒ v4 (base64url). Byte 0 of v3/v4 is not otherwise
 * constrained: the cross-platform vector has 0x00 there.
 */
import { decodeAdvertisingTokenV2Bytes, type DecodedAdvertisingTokenV2 } from './advertising-token-v2.ts';
import { decodeAdvertisingTokenV4Bytes, type DecodedAdvertisingTokenV4 } from './advertising-token-v4.ts';
import { decodeBase64, decodeBase64Url } from './base64.ts';
import { ProtocolError } from './errors.ts';
import { TokenVersion, type KeyLookup } from './token-fields.ts';

export { encodeAdvertisingTokenV3, encodeAdvertisingTokenV4 } from './advertising-token-v4.ts';
export type { AdvertisingTokenFields, AdvertisingTokenIvs, DecodedAdvertisingTokenV4 } from './advertising-token-v4.ts';
export { decodeUserTokenV2 } from './advertising-token-v2.ts';
export type { DecodedAdvertisingTokenV2, DecodedUserTokenV2 } from './advertising-token-v2.ts';

export type DecodedAdvertisingToken = DecodedAdvertisingTokenV2 | DecodedAdvertisingTokenV4;

const URL_ONLY_CHARS = /[-_]/;

function readHeader(token: string): Buffer {
  if (token.length < 4) throw new ProtocolError('ERR_TOO_SHORT', 'advertising token is too short');
  const head = token.slice(0, 4);
  return URL_ONLY_CHARS.test(head) ? decodeBase64Url(head) : decodeBase64(head);
}

/** Decodes any advertising token version; throws only `ProtocolError`. */
export function decodeAdvertisingToken(token: string, lookup: KeyLookup): DecodedAdvertisingToken {
  const header = readHeader(token);
  if (header[0] === TokenVersion.V2) return decodeAdvertisingTokenV2Bytes(decodeBase64(token), lookup);
  if (header[1] === TokenVersion.V3) return decodeAdvertisingTokenV4Bytes(decodeBase64(token), lookup);
  if (header[1] === TokenVersion.V4) return decodeAdvertisingTokenV4Bytes(decodeBase64Url(token), lookup);
  throw new ProtocolError('ERR_VERSION', 'unknown advertising token version');
}
