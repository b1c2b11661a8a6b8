/**
 * First-level hash (spec §6.1) and the salted-base64 hash it shares with raw UID v2 (§6.4).
 *
 * | step | bytes hashed                                                        |
 * | 1    | ASCII of the canonical standard base64 (with padding) of the input  |
 * |      | bytes: the identity hash for the FLH, the FLH for raw UID v2        |
 * | 2    | UTF-8 of the salt string: salts metadata `first_level` for the FLH, |
 * |      | the bucket's rotating salt for raw UID v2                           |
 * result = SHA-256(step 1 ‖ step 2), 32 bytes, no separator.
 *
 * The identity hash is re-encoded from its bytes, so a non-canonical `email_hash` input gives the
 * same FLH as its canonical form (vectors README "Differences" §3).
 */
import { hash } from 'node:crypto';
import { encodeBase64 } from './base64.ts';
import { cryptoKernels } from './crypto-kernels.ts';

/** The native kernel's input bound (identity hashes and FLHs are 32 bytes). */
const MAX_NATIVE_HASHED = 256;

export const FIRST_LEVEL_HASH_SIZE = 32;

/** SHA-256(ASCII(base64(bytes)) ‖ UTF-8(salt)): upstream's `getSha256Bytes(base64, salt)`. */
export function hashBase64WithSalt(bytes: Uint8Array, salt: string): Buffer {
  const kernels = cryptoKernels();
  if (kernels && bytes.length <= MAX_NATIVE_HASHED) {
    const out = Buffer.allocUnsafe(32);
    kernels.sha256Base64SaltedInto(bytes, salt, out, 0);
    return out;
  }
  // Base64 is ASCII, so the UTF-8 of the joined text is exactly step 1 ‖ step 2; one-shot hash (issue 6).
  return hash('sha256', encodeBase64(bytes) + salt, 'buffer');
}

export function firstLevelHash(identityHash: Uint8Array, firstLevelSalt: string): Buffer {
  return hashBase64WithSalt(identityHash, firstLevelSalt);
}

/**
 * `hashBase64WithSalt` for a caller that already holds the base64 text, returning base64 text:
 * one-shot `crypto.hash`, no Buffers (the identity-map hot path hashes 5,000 of these a request).
 * Base64 is ASCII, so UTF-8 of `base64 + salt` is exactly the bytes of the table above.
 */
export function hashBase64TextWithSalt(base64: string, salt: string): string {
  return hash('sha256', base64 + salt, 'base64');
}
