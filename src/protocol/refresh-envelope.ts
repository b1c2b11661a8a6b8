/**
 * Refresh envelope: the `refresh_token` clients see (spec §7.5, `V2RequestUtil.handleRefreshTokenInResponseBody`).
 * Base64 of 291 bytes = exactly 388 characters; the server takes the 388-char path on that length.
 *
 * | offset | size | field                                                     |
 * | 0      | 1    | scope byte: scope << 4 (0x00 UID2, 0x10 EUID); ignored on decode |
 * | 1      | 4    | refresh key id, int32                                      |
 * | 5      | 286  | AES-GCM(refresh key, JSON)                                 |
 *
 * JSON, in this key order, no whitespace (258 bytes with a 168-char refresh token v3):
 * `{"refresh_response_key":"<base64 of 32 bytes>","refresh_token":"<refresh token>"}`
 *
 * The answer to a 388-char refresh is AES-GCM(refresh_response_key, JSON) with no timestamp or
 * nonce prefix (spec §4.3); `encryptRefreshResponse` / `decryptRefreshResponse` implement it.
 *
 * Decode errors map onto the four messages of spec §4.3 by code: `ERR_BASE64` (not base64),
 * `ERR_UNKNOWN_KEY` (an `UnknownKeyError` with `keyId`), `ERR_DECRYPT` or `ERR_TOO_SHORT`
 * (decryption failed), `ERR_JSON` (payload not valid JSON or missing required data).
 */
import { AES_KEY_LENGTH, aesGcmDecrypt, aesGcmEncrypt, aesGcmSealText, randomBytesPooled } from './aes.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { ProtocolError } from './errors.ts';
import type { IdentityScope } from './identity-kinds.ts';
import { resolveKey, type Key, type KeyLookup } from './token-fields.ts';

export const REFRESH_ENVELOPE_LENGTH = 388;
const HEADER_SIZE = 5;

export interface RefreshEnvelopeInput {
  scope: IdentityScope;
  /** The current refresh key (keyset −2). */
  key: Key;
  /** The inner refresh token (base64 refresh token v3). */
  refreshToken: string;
  /** 32-byte AES key the client will use to decrypt the refresh response. */
  responseKey: Uint8Array;
}

export interface DecodedRefreshEnvelope {
  scopeByte: number;
  keyId: number;
  refreshToken: string;
  responseKey: Buffer;
}

/** A fresh 32-byte `refresh_response_key` (a copy, safe to keep). */
export function createRefreshResponseKey(): Buffer {
  return Buffer.from(randomBytesPooled(AES_KEY_LENGTH));
}

/** The envelope's clear header, written again for every envelope (`aesGcmSealText` copies it at once). */
const header = Buffer.alloc(HEADER_SIZE);

export function encodeRefreshEnvelope(input: RefreshEnvelopeInput, iv?: Uint8Array): string {
  if (input.responseKey.length !== AES_KEY_LENGTH) throw new ProtocolError('ERR_INVALID_INPUT', 'refresh response key must be 32 bytes');
  const json = `{"refresh_response_key":"${encodeBase64(input.responseKey)}","refresh_token":${JSON.stringify(input.refreshToken)}}`;
  new ByteWriter(header).u8(input.scope << 4).i32(input.key.id);
  return aesGcmSealText(input.key.secret, header, json, 'base64', { iv });
}

function invalidJson(): ProtocolError {
  return new ProtocolError('ERR_JSON', 'refresh envelope payload is not valid JSON or misses required data');
}

function parsePayload(plain: Buffer): { refreshToken: string; responseKey: Buffer } {
  let json: unknown;
  try {
    json = JSON.parse(plain.toString('utf8'));
  } catch {
    throw invalidJson();
  }
  if (typeof json !== 'object' || json === null) throw invalidJson();
  const { refresh_token: refreshToken, refresh_response_key: keyText } = json as Record<string, unknown>;
  if (typeof refreshToken !== 'string' || typeof keyText !== 'string') throw invalidJson();
  let responseKey: Buffer;
  try {
    responseKey = decodeBase64(keyText);
  } catch {
    throw invalidJson();
  }
  if (responseKey.length !== AES_KEY_LENGTH) throw invalidJson();
  return { refreshToken, responseKey };
}

/** Decodes a refresh envelope; the key is looked up by id whatever its keyset (spec §7.5). */
export function decodeRefreshEnvelope(text: string, lookup: KeyLookup): DecodedRefreshEnvelope {
  const r = new ByteReader(decodeBase64(text));
  const scopeByte = r.u8();
  const keyId = r.i32();
  const plain = aesGcmDecrypt(resolveKey(lookup, keyId).secret, r.rest());
  return { scopeByte, keyId, ...parsePayload(plain) };
}

/** The 200 body of a 388-char refresh: AES-GCM(responseKey, JSON), no prefix (spec §4.3). */
export function encryptRefreshResponse(responseKey: Uint8Array, json: string, iv?: Uint8Array): Buffer {
  return aesGcmEncrypt(responseKey, json, { iv });
}

/** Client side of `encryptRefreshResponse`; accepts the raw bytes or their base64 text. */
export function decryptRefreshResponse(responseKey: Uint8Array, body: Uint8Array | string): string {
  const bytes = typeof body === 'string' ? decodeBase64(body) : body;
  return aesGcmDecrypt(responseKey, bytes).toString('utf8');
}
