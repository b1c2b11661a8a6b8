/**
 * v2 request/response envelopes, encrypted with the client secret (spec §3; vectors README §2).
 *
 * Request (base64 text, or raw bytes under `application/octet-stream`):
 * | offset | size | field                              |
 * | 0      | 1    | version, must be 0x01              |
 * | 1      | 12   | GCM IV                             |
 * | 13     | N    | ciphertext of the data envelope    |
 * | 13+N   | 16   | GCM tag                            |
 *
 * Data envelope (request and response alike):
 * | 0      | 8    | timestamp ms, int64                |
 * | 8      | 8    | nonce (echoed in the response)     |
 * | 16     | rest | UTF-8 JSON object (empty ⇒ null)   |
 *
 * Response: `IV ‖ GCM(client secret, data envelope) ‖ tag`, no version byte (spec §3.2).
 *
 * Errors are `ProtocolError`s whose `message` is the exact upstream text, which the operator
 * returns as the `client_error` message (spec §3.1, `V2RequestUtil.java`).
 */
import { GCM_OVERHEAD, aesGcmDecrypt, aesGcmSealInto, aesGcmSealText, fillRandom, plaintextLength } from './aes.ts';
import { decodeBase64, decodeBase64Bytes, isBase64 } from './base64.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { ProtocolError, type ProtocolErrorCode } from './errors.ts';
import { IdentityScope } from './identity-kinds.ts';

export const ENVELOPE_VERSION = 1;
const TIMESTAMP_SIZE = 8;
export const NONCE_SIZE = 8;
const DATA_HEADER_SIZE = TIMESTAMP_SIZE + NONCE_SIZE;
const EMPTY = new Uint8Array(0);
/** version + IV + tag + timestamp + nonce: 45 bytes (`MIN_PAYLOAD_LENGTH`). */
export const MIN_REQUEST_ENVELOPE_SIZE = 1 + GCM_OVERHEAD + DATA_HEADER_SIZE;
/**
 * Upstream rejects when |whole minutes(now − ts)| > 1, minutes truncated toward zero, which is
 * the same as |now − ts| ≥ 120 s (spec §3.1, §17).
 */
const FRESHNESS_WINDOW_MS = 120_000;

function docsHost(scope: IdentityScope): string {
  return scope === IdentityScope.EUID ? 'euid.eu' : 'unifiedid.com';
}

function envelopeHint(scope: IdentityScope): string {
  return ` See https://${docsHost(scope)}/docs/getting-started/gs-encryption-decryption for details on the request envelope format.`;
}

/** The upstream messages, described once. */
export const EnvelopeMessages = {
  missing: () => 'Invalid body: Body is missing.',
  notBase64: (scope: IdentityScope) => `Invalid body: Body is not valid base64.${envelopeHint(scope)}`,
  tooShort: (scope: IdentityScope) => `Invalid body: Body too short. Check encryption method.${envelopeHint(scope)}`,
  version: (scope: IdentityScope, received: number) =>
    `Invalid body: Invalid request envelope format version: received ${received}, must be 1.${envelopeHint(scope)}`,
  unencryptedJson: (scope: IdentityScope) =>
    'Invalid body: The request body is unencrypted JSON. It must be an encrypted request envelope. ' +
    `See https://${docsHost(scope)}/docs/getting-started/gs-encryption-decryption#encryption-and-decryption-code-examples ` +
    'for encryption and decryption code examples.',
  decrypt: (scope: IdentityScope) => `Invalid body: Check encryption key (ClientSecret).${envelopeHint(scope)}`,
  timestamp: () => 'Invalid timestamp: Request too old or client time drift.',
  payloadJson: () => 'Invalid payload in body: Data is not valid json string.',
} as const;

export interface RequestDecodeOptions {
  /** True when the request's Content-Type is `application/octet-stream`. */
  binary: boolean;
  /** The client secret (32 bytes). */
  secret: Uint8Array;
  nowMs: number;
  /** Operator identity scope: picks the docs host of the hints. */
  scope: IdentityScope;
}

export interface DecodedRequest {
  timestampMs: number;
  nonce: Buffer;
  /** The JSON object sent, or null when the data envelope carries no JSON. */
  payload: Record<string, unknown> | null;
  /**
   * Answer with raw bytes and `application/octet-stream`. False when the request was base64
   * text, including an octet-stream body that only parsed as base64 text (spec §3.1).
   */
  respondBinary: boolean;
}


function fail(code: ProtocolErrorCode, message: string): ProtocolError {
  return new ProtocolError(code, message);
}

/** True when `bytes` are a JSON object: a caller who skipped encryption (vectors README §2). */
function isJsonObject(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] !== 0x7b /* { */) return false;
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** The "unencrypted JSON" message replaces the base64, length and version messages. */
function structuralError(bytes: Uint8Array, scope: IdentityScope, code: ProtocolErrorCode, message: string): ProtocolError {
  return isJsonObject(bytes) ? fail('ERR_FORMAT', EnvelopeMessages.unencryptedJson(scope)) : fail(code, message);
}

function parsePayload(data: Buffer): Record<string, unknown> | null {
  if (data.length === DATA_HEADER_SIZE) return null;
  try {
    const value: unknown = JSON.parse(data.toString('utf8', DATA_HEADER_SIZE));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the upstream message
  }
  throw fail('ERR_JSON', EnvelopeMessages.payloadJson());
}

/** `respondBinary` is carried through, so each decode builds one result object (issue 6). */
function decodeEnvelopeBytes(bytes: Buffer, options: RequestDecodeOptions, respondBinary: boolean): DecodedRequest {
  const { scope } = options;
  if (bytes.length < MIN_REQUEST_ENVELOPE_SIZE) throw structuralError(bytes, scope, 'ERR_TOO_SHORT', EnvelopeMessages.tooShort(scope));
  if (bytes[0] !== ENVELOPE_VERSION) throw structuralError(bytes, scope, 'ERR_VERSION', EnvelopeMessages.version(scope, bytes[0]));
  let data: Buffer;
  try {
    data = aesGcmDecrypt(options.secret, bytes.subarray(1));
  } catch {
    throw fail('ERR_DECRYPT', EnvelopeMessages.decrypt(scope));
  }
  const r = new ByteReader(data);
  const timestampMs = r.i64();
  const nonce = r.bytes(NONCE_SIZE);
  if (!(Math.abs(options.nowMs - timestampMs) < FRESHNESS_WINDOW_MS)) throw fail('ERR_TIMESTAMP', EnvelopeMessages.timestamp());
  return { timestampMs, nonce, payload: parsePayload(data), respondBinary };
}

/** `body` holds base64 text, one byte per character (non-ASCII bytes are not base64). */
function decodeEnvelopeText(body: Buffer, options: RequestDecodeOptions): DecodedRequest {
  const bytes = decodeBase64Bytes(body);
  if (bytes === null) {
    const { scope } = options;
    throw structuralError(body, scope, 'ERR_BASE64', EnvelopeMessages.notBase64(scope));
  }
  return decodeEnvelopeBytes(bytes, options, false);
}

/**
 * Decodes and checks a v2 request body, applying every rule of spec §3.1 in upstream order.
 * An octet-stream body that fails as raw bytes is retried as base64 text; when it is valid base64
 * the retry's outcome (success or error) wins, otherwise the raw-bytes error stands.
 */
export function decodeRequestBody(body: Buffer | null | undefined, options: RequestDecodeOptions): DecodedRequest {
  if (!body || body.length === 0) throw fail('ERR_FORMAT', EnvelopeMessages.missing());
  if (!options.binary) return decodeEnvelopeText(body, options);
  try {
    return decodeEnvelopeBytes(body, options, true);
  } catch (binaryError) {
    if (!isBase64(body.toString('latin1'))) throw binaryError;
    return decodeEnvelopeText(body, options);
  }
}

/** The data envelope's header, in one buffer written again for every envelope (the seal copies it at once). */
const dataHeaderBytes = Buffer.alloc(DATA_HEADER_SIZE);

/** `timestamp ‖ nonce` (a random nonce when none is given), in `dataHeaderBytes`. */
function dataHeader(timestampMs: number, nonce: Uint8Array | undefined): Buffer {
  const header = new ByteWriter(dataHeaderBytes).i64(timestampMs);
  if (nonce) {
    if (nonce.length !== NONCE_SIZE) throw new ProtocolError('ERR_INVALID_INPUT', 'nonce must be 8 bytes');
    header.bytes(nonce);
  } else {
    fillRandom(dataHeaderBytes, TIMESTAMP_SIZE, NONCE_SIZE);
  }
  return dataHeaderBytes;
}

function writeDataEnvelope(w: ByteWriter, key: Uint8Array, timestampMs: number, nonce: Uint8Array | undefined, json: Uint8Array | string, iv?: Uint8Array): void {
  aesGcmSealInto(w.buf, w.offset, key, [dataHeader(timestampMs, nonce), json], { iv });
}

export interface RequestEnvelopeInput {
  nowMs: number;
  /** 8 bytes; random when omitted. */
  nonce?: Uint8Array;
  /** JSON text (or its UTF-8 bytes); null/omitted for an empty data envelope. */
  payload?: string | Uint8Array | null;
  iv?: Uint8Array;
}

/** Client side: `0x01 ‖ IV ‖ GCM(secret, ts ‖ nonce ‖ JSON) ‖ tag` (send as base64 or raw). */
export function encodeRequestEnvelope(secret: Uint8Array, input: RequestEnvelopeInput): Buffer {
  const json = input.payload ?? '';
  const w = ByteWriter.alloc(1 + GCM_OVERHEAD + DATA_HEADER_SIZE + plaintextLength(json));
  w.u8(ENVELOPE_VERSION);
  writeDataEnvelope(w, secret, input.nowMs, input.nonce, json, input.iv);
  return w.buf;
}

/** `encodeResponseEnvelope` as base64 text (the reply to a base64 request), its bytes not allocated. */
export function encodeResponseEnvelopeText(secret: Uint8Array, nowMs: number, nonce: Uint8Array, json: string | Uint8Array, iv?: Uint8Array): string {
  return aesGcmSealText(secret, EMPTY, [dataHeader(nowMs, nonce), json], 'base64', { iv });
}

/** Server side: `IV ‖ GCM(secret, now ‖ request nonce ‖ JSON) ‖ tag` (spec §3.2). */
export function encodeResponseEnvelope(secret: Uint8Array, nowMs: number, nonce: Uint8Array, json: string | Uint8Array, iv?: Uint8Array): Buffer {
  const w = ByteWriter.alloc(GCM_OVERHEAD + DATA_HEADER_SIZE + plaintextLength(json));
  writeDataEnvelope(w, secret, nowMs, nonce, json, iv);
  return w.buf;
}

export interface DecodedResponse {
  timestampMs: number;
  nonce: Buffer;
  json: string;
}

/** Client side of `encodeResponseEnvelope`; accepts raw bytes or their base64 text. */
export function decodeResponseEnvelope(secret: Uint8Array, body: Uint8Array | string): DecodedResponse {
  const bytes = typeof body === 'string' ? decodeBase64(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length < GCM_OVERHEAD + DATA_HEADER_SIZE) throw new ProtocolError('ERR_TOO_SHORT', 'response envelope is too short');
  const data = aesGcmDecrypt(secret, bytes);
  const r = new ByteReader(data);
  const timestampMs = r.i64();
  const nonce = r.bytes(NONCE_SIZE);
  return { timestampMs, nonce, json: data.toString('utf8', DATA_HEADER_SIZE) };
}
