/**
 * Client-side token generation crypto (spec §9; client-expectations.md "CSTG").
 *
 * Keypair strings (client_side_keypairs.json): the first 9 characters are a prefix, the rest base64 DER.
 * | string                      | DER            |
 * | "UID2-X-L-" + base64(...)   | SPKI, P-256    |   (public; "EUID-X-…" in EUID)
 * | "UID2-Y-L-" + base64(...)   | PKCS#8, P-256  |   (private)
 *
 * Key agreement: ECDH P-256; the raw 32-byte shared X coordinate is the AES-256-GCM key (no KDF).
 * Request: `payload` = base64(ct ‖ tag), `iv` = base64(12 bytes), AAD = UTF-8 of the compact JSON
 * array `[timestamp]` or `[timestamp,"app_name"]`. The timestamp is authenticated, not checked
 * for freshness.
 * Response (200): base64(IV ‖ GCM(shared, JSON) ‖ tag), no AAD, no timestamp/nonce.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { GCM_IV_LENGTH, aesGcmDecrypt, aesGcmDecryptDetached, aesGcmEncrypt } from './aes.ts';
import { decodeBase64, encodeBase64, isBase64 } from './base64.ts';
import { ProtocolError } from './errors.ts';

export const CSTG_KEY_PREFIX_LENGTH = 9;
const CURVE = 'prime256v1';

export interface CstgKeypair {
  /** e.g. "UID2-X-L-" */
  publicKeyPrefix: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
  /** The public key as SPKI DER (what the JS SDK is configured with, after the prefix). */
  publicKeySpki: Buffer;
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVE;
}

function badPublicKey(): ProtocolError {
  return new ProtocolError('ERR_PUBLIC_KEY', 'bad public key');
}

/** A P-256 public key from SPKI DER or its base64; anything else is `ERR_PUBLIC_KEY`. */
export function parseP256PublicKey(spki: string | Uint8Array): KeyObject {
  if (typeof spki === 'string' && !isBase64(spki)) throw badPublicKey();
  const der = typeof spki === 'string' ? decodeBase64(spki) : spki;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch {
    throw badPublicKey();
  }
  if (!isP256(key)) throw badPublicKey();
  return key;
}

function stripPrefix(text: string, marker: 'X' | 'Y'): string {
  // Shape "<SCOPE>-<X|Y>-<env>-": the key kind sits at index 5.
  if (text.length <= CSTG_KEY_PREFIX_LENGTH || text[5] !== marker) {
    throw new ProtocolError('ERR_INVALID_INPUT', `CSTG key string lacks its "${marker}" prefix`);
  }
  return text.slice(CSTG_KEY_PREFIX_LENGTH);
}

/** Parses a "UID2-X-…" server public key string. */
export function parseCstgPublicKey(text: string): KeyObject {
  try {
    return parseP256PublicKey(stripPrefix(text, 'X'));
  } catch (err) {
    if (err instanceof ProtocolError && err.code === 'ERR_INVALID_INPUT') throw err;
    throw new ProtocolError('ERR_INVALID_INPUT', 'CSTG public key is not a P-256 SPKI');
  }
}

/** Parses a "UID2-Y-…" server private key string. */
export function parseCstgPrivateKey(text: string): KeyObject {
  const b64 = stripPrefix(text, 'Y');
  let key: KeyObject | undefined;
  try {
    if (isBase64(b64)) key = createPrivateKey({ key: decodeBase64(b64), format: 'der', type: 'pkcs8' });
  } catch {
    key = undefined;
  }
  if (!key || !isP256(key)) throw new ProtocolError('ERR_INVALID_INPUT', 'CSTG private key is not a P-256 PKCS#8');
  return key;
}

/** Parses both halves of a client_side_keypairs.json record and checks they belong together. */
export function parseCstgKeypair(publicKeyText: string, privateKeyText: string): CstgKeypair {
  const publicKey = parseCstgPublicKey(publicKeyText);
  const privateKey = parseCstgPrivateKey(privateKeyText);
  const publicKeySpki = publicKey.export({ format: 'der', type: 'spki' });
  const derived = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  if (!derived.equals(publicKeySpki)) throw new ProtocolError('ERR_INVALID_INPUT', 'CSTG public and private keys do not match');
  return { publicKeyPrefix: publicKeyText.slice(0, CSTG_KEY_PREFIX_LENGTH), publicKey, privateKey, publicKeySpki };
}

/**
 * ECDH: our private key × their public key (SPKI DER, its base64, or a parsed key) → the raw
 * 32-byte X coordinate, used directly as the AES key. A bad peer key is `ERR_PUBLIC_KEY`.
 */
export function cstgSharedSecret(privateKey: KeyObject, peerPublicKey: KeyObject | string | Uint8Array): Buffer {
  const publicKey = typeof peerPublicKey === 'string' || peerPublicKey instanceof Uint8Array ? parseP256PublicKey(peerPublicKey) : peerPublicKey;
  try {
    return diffieHellman({ privateKey, publicKey });
  } catch {
    throw badPublicKey();
  }
}

/** AAD = UTF-8 of `[timestamp]` or `[timestamp,"app_name"]` (compact JSON, as upstream's JsonArray). */
export function cstgAad(timestampMs: number, appName?: string | null): Buffer {
  return Buffer.from(JSON.stringify(appName == null ? [timestampMs] : [timestampMs, appName]), 'utf8');
}

export interface CstgPayloadInput {
  /** base64(ct ‖ tag) */
  payload: string;
  /** base64 of the 12-byte IV */
  iv: string;
  timestampMs: number;
  appName?: string | null;
}

/**
 * Server side: decrypts and parses the CSTG payload. Errors: `ERR_IV` ("bad iv"), `ERR_DECRYPT`
 * ("payload decryption failed"), `ERR_JSON` ("encrypted payload contains invalid json").
 */
export function decryptCstgPayload(sharedSecret: Uint8Array, input: CstgPayloadInput): Record<string, unknown> {
  if (!isBase64(input.iv)) throw new ProtocolError('ERR_IV', 'bad iv');
  const iv = decodeBase64(input.iv);
  if (iv.length !== GCM_IV_LENGTH) throw new ProtocolError('ERR_IV', 'bad iv');
  if (!isBase64(input.payload)) throw new ProtocolError('ERR_DECRYPT', 'payload decryption failed');
  let plain: Buffer;
  try {
    plain = aesGcmDecryptDetached(sharedSecret, iv, decodeBase64(input.payload), cstgAad(input.timestampMs, input.appName));
  } catch {
    throw new ProtocolError('ERR_DECRYPT', 'payload decryption failed');
  }
  let value: unknown;
  try {
    value = JSON.parse(plain.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('ERR_JSON', 'encrypted payload contains invalid json');
  }
  return value as Record<string, unknown>;
}

/** Server side: the 200 body, base64(IV ‖ GCM(shared, JSON) ‖ tag). */
export function encryptCstgResponse(sharedSecret: Uint8Array, json: string, iv?: Uint8Array): string {
  return encodeBase64(aesGcmEncrypt(sharedSecret, json, { iv }));
}

/** Client side of `encryptCstgResponse`. */
export function decryptCstgResponse(sharedSecret: Uint8Array, body: string): string {
  return aesGcmDecrypt(sharedSecret, decodeBase64(body)).toString('utf8');
}

export interface CstgRequestInput {
  /** The server's public key string ("UID2-X-…") or a parsed key. */
  serverPublicKey: string | KeyObject;
  /** The client's P-256 private key; a fresh one when omitted (as the browser SDK does). */
  clientPrivateKey?: KeyObject;
  /** JSON text such as `{"email_hash":"…"}`. */
  plaintext: string;
  timestampMs: number;
  subscriptionId: string;
  appName?: string | null;
  iv?: Uint8Array;
}

/** The JSON body of POST /v2/token/client-generate, in the SDK's key order. */
export interface CstgRequestBody {
  payload: string;
  iv: string;
  public_key: string;
  timestamp: number;
  subscription_id: string;
  app_name?: string;
}

/** Client side (CLI, SDK simulator, tests): builds the request and keeps the shared secret to read the answer. */
export function encryptCstgRequest(input: CstgRequestInput): { body: CstgRequestBody; sharedSecret: Buffer } {
  const serverKey = typeof input.serverPublicKey === 'string' ? parseCstgPublicKey(input.serverPublicKey) : input.serverPublicKey;
  const clientPrivateKey = input.clientPrivateKey ?? generateKeyPairSync('ec', { namedCurve: CURVE }).privateKey;
  const sharedSecret = cstgSharedSecret(clientPrivateKey, serverKey);
  const sealed = aesGcmEncrypt(sharedSecret, input.plaintext, { iv: input.iv, aad: cstgAad(input.timestampMs, input.appName) });
  const body: CstgRequestBody = {
    payload: encodeBase64(sealed.subarray(GCM_IV_LENGTH)),
    iv: encodeBase64(sealed.subarray(0, GCM_IV_LENGTH)),
    public_key: encodeBase64(createPublicKey(clientPrivateKey).export({ format: 'der', type: 'spki' })),
    timestamp: input.timestampMs,
    subscription_id: input.subscriptionId,
  };
  if (input.appName != null) body.app_name = input.appName;
  return { body, sharedSecret };
}
