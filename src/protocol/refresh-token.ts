/**
 * Refresh tokens: the operator emits v3 and decodes v2 and v3 (spec §7.3, §7.4). Version
 * detection: byte 1 == 0x70 ⇒ v3, else byte 0 == 2 ⇒ v2 (`EncryptedTokenEncoder.decodeRefreshToken`).
 */
import { decodeBase64 } from './base64.ts';
import { ProtocolError } from './errors.ts';
import { decodeRefreshTokenV2Bytes, type DecodedRefreshTokenV2 } from './refresh-token-v2.ts';
import { decodeRefreshTokenV3Bytes, type DecodedRefreshTokenV3 } from './refresh-token-v3.ts';
import { TokenVersion, type KeyLookup } from './token-fields.ts';

export { encodeRefreshTokenV3, REFRESH_TOKEN_V3_SIZE } from './refresh-token-v3.ts';
export type { DecodedRefreshTokenV3, RefreshTokenFields } from './refresh-token-v3.ts';
export type { DecodedRefreshTokenV2 } from './refresh-token-v2.ts';

export type DecodedRefreshToken = DecodedRefreshTokenV2 | DecodedRefreshTokenV3;

/** Decodes a base64 refresh token of either version; throws only `ProtocolError`. */
export function decodeRefreshToken(token: string, lookup: KeyLookup): DecodedRefreshToken {
  const bytes = decodeBase64(token);
  if (bytes.length < 2) throw new ProtocolError('ERR_TOO_SHORT', 'refresh token is too short');
  if (bytes[1] === TokenVersion.V3) return decodeRefreshTokenV3Bytes(bytes, lookup);
  if (bytes[0] === TokenVersion.V2) return decodeRefreshTokenV2Bytes(bytes, lookup);
  throw new ProtocolError('ERR_VERSION', 'unknown refresh token version');
}
