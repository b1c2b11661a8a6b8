/**
 * Outer layer shared by advertising tokens v3/v4 (spec §7.1) and refresh tokens v3 (spec §7.3):
 * a clear header naming the key, then the payload sealed with that key.
 *
 * | offset | size | field                                   |
 * | 0      | 1    | identity byte (scope<<4 | type<<2 | 3)   |
 * | 1      | 1    | version (TokenVersion)                  |
 * | 2      | 4    | key id, int32                           |
 * | 6      | N    | AES-GCM(key, payload): IV ‖ ct ‖ tag    |
 */
import { aesGcmDecrypt, aesGcmSealText, gcmSealedLength } from './aes.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { ProtocolError } from './errors.ts';
import { resolveKey, type Key, type KeyLookup } from './token-fields.ts';

export const TOKEN_HEADER_SIZE = 6;

/** Length of a sealed token whose payload is `payloadLength` bytes. */
export function sealedTokenLength(payloadLength: number): number {
  return TOKEN_HEADER_SIZE + gcmSealedLength(payloadLength);
}

/** A token's header, written again for every token (`aesGcmSealText` copies it at once). */
const textHeader = Buffer.alloc(TOKEN_HEADER_SIZE);

/**
 * Header and sealed payload, as the text the token is sent as (base64 or base64url): the token's
 * bytes are never allocated (`aesGcmSealText`).
 */
export function sealTokenText(identityByte: number, version: number, key: Key, payload: Buffer, encoding: 'base64' | 'base64url', iv?: Uint8Array): string {
  new ByteWriter(textHeader).u8(identityByte).u8(version).i32(key.id);
  return aesGcmSealText(key.secret, textHeader, payload, encoding, { iv });
}

export interface OpenedToken {
  /** Header byte 0 as sent. */
  identityByte: number;
  version: number;
  keyId: number;
  /** The decrypted payload. */
  payload: Buffer;
}

/**
 * Reads the header, checks the version against `versions` (else `ERR_VERSION` with
 * "not <what>"), finds the key by id (`ERR_UNKNOWN_KEY`) and decrypts the payload (`ERR_DECRYPT`).
 */
export function openToken(bytes: Buffer, lookup: KeyLookup, versions: readonly number[], what: string): OpenedToken {
  const r = new ByteReader(bytes);
  const identityByte = r.u8();
  const version = r.u8();
  if (!versions.includes(version)) throw new ProtocolError('ERR_VERSION', `not ${what}`);
  const keyId = r.i32();
  const payload = aesGcmDecrypt(resolveKey(lookup, keyId).secret, r.rest());
  return { identityByte, version, keyId, payload };
}
