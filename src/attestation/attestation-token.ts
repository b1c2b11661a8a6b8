/**
 * The opaque attestation token Core mints after a successful `/attest` and checks on every
 * metadata request (spec attestation-azure.md §1.4, upstream `AttestationToken`,
 * `AttestationTokenService`). The operator never parses it; it only echoes it back.
 *
 * | part       | value                                                                   |
 * | plaintext  | "<operatorKey>,<expiresEpochSeconds>,<nonce as signed decimal int64>"   |
 * | key        | PBKDF2-HMAC-SHA256(att_token_enc_key, UTF-8(att_token_enc_salt), 65536, 32 B) |
 * | cipher     | AES-256-GCM, 12-byte random IV, 128-bit tag appended to the ciphertext  |
 * | encoding   | base64(ct ‖ tag) + "-" + base64(iv) + "-g"                              |
 *
 * The standard base64 alphabet has no `-`, so the three parts split unambiguously.
 */
import { pbkdf2, randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { aesGcmDecrypt, aesGcmEncrypt, GCM_IV_LENGTH } from '../protocol/aes.ts';
import { decodeBase64, encodeBase64 } from '../protocol/base64.ts';

const PBKDF2_ITERATIONS = 65536;
const KEY_LENGTH = 32;
const SUFFIX = 'g';
const pbkdf2Async = promisify(pbkdf2);

export interface AttestationTokenClaims {
  readonly operatorKey: string;
  readonly expiresAtSeconds: number;
  readonly nonce: string;
}

/** Random extra lifetime, so that a fleet started together does not re-attest together. */
export const EXTRA_LIFETIME_MIN_SECONDS = 300;
export const EXTRA_LIFETIME_MAX_SECONDS = 600;

/** Expiry of a token minted at `nowMs`: lifetime (default 7200 s) plus a random 300-600 s. */
export function attestationExpiryMs(nowMs: number, lifetimeSeconds: number, extraSeconds?: number): number {
  const extra = extraSeconds ?? randomInt(EXTRA_LIFETIME_MIN_SECONDS, EXTRA_LIFETIME_MAX_SECONDS + 1);
  return nowMs + (lifetimeSeconds + extra) * 1000;
}

export class AttestationTokenCodec {
  private constructor(private readonly key: Buffer) {}

  /** Derives the AES key once; PBKDF2 with 65536 iterations is far too slow to run per request. */
  static async create(encKey: string, encSalt: string): Promise<AttestationTokenCodec> {
    return new AttestationTokenCodec(await pbkdf2Async(encKey, Buffer.from(encSalt, 'utf8'), PBKDF2_ITERATIONS, KEY_LENGTH, 'sha256'));
  }

  mint(operatorKey: string, expiresAtMs: number): string {
    const nonce = randomBytes(8).readBigInt64BE().toString();
    const plain = `${operatorKey},${Math.floor(expiresAtMs / 1000)},${nonce}`;
    const sealed = aesGcmEncrypt(this.key, plain);
    const iv = sealed.subarray(0, GCM_IV_LENGTH);
    return `${encodeBase64(sealed.subarray(GCM_IV_LENGTH))}-${encodeBase64(iv)}-${SUFFIX}`;
  }

  /** The token's claims, or undefined for anything that is not a token this Core minted. */
  decrypt(encoded: string): AttestationTokenClaims | undefined {
    const parts = encoded.split('-');
    if (parts.length !== 3 || parts[2] !== SUFFIX) return undefined;
    try {
      const body = decodeBase64(parts[0]);
      const iv = decodeBase64(parts[1]);
      if (iv.length !== GCM_IV_LENGTH) return undefined;
      const text = aesGcmDecrypt(this.key, Buffer.concat([iv, body])).toString('utf8');
      const fields = text.split(',');
      if (fields.length < 3) return undefined;
      const nonce = fields.pop() as string;
      const expires = fields.pop() as string;
      if (!/^-?[0-9]+$/.test(nonce) || !/^[0-9]+$/.test(expires)) return undefined;
      return { operatorKey: fields.join(','), expiresAtSeconds: Number(expires), nonce };
    } catch {
      return undefined;
    }
  }
}
