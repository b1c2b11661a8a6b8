/**
 * AES-256 primitives as UID2 serialises them (spec §3, `SH:.../encryption/AesGcm.java`, `AesCbc.java`).
 *
 * AES-GCM (every format except legacy v2 tokens):
 * | offset | size | field                    |
 * | 0      | 12   | IV (random)              |
 * | 12     | N    | ciphertext               |
 * | 12+N   | 16   | tag (128-bit)            |
 * AAD is empty except for CSTG (spec §9).
 *
 * AES-CBC (legacy v2 tokens, decode only upstream):
 * | 0      | 16   | IV                       |
 * | 16     | N    | PKCS#5/7-padded ciphertext |
 *
 * IVs come from a pooled random buffer refilled in bulk: a `randomBytes(12)` per call was the
 * largest single cost of token generation (perf-notes.md, 27% of CPU).
 * Every authentication or padding failure is one `ProtocolError('ERR_DECRYPT')` with one fixed
 * message, so a caller cannot tell which check failed.
 *
 * GCM runs on the native kernels when `src/native` has installed them (`crypto-kernels.ts`):
 * node:crypto's per-call cipher object set-up (~4.8 us) dwarfs the cipher work (~0.2 us,
 * perf-notes.md). Same bytes either way; node:crypto is the fallback.
 */
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { cryptoKernels, type CryptoKernels } from './crypto-kernels.ts';
import { ProtocolError } from './errors.ts';

export const AES_KEY_LENGTH = 32;
export const GCM_IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;
/** Bytes GCM adds to a plaintext: IV + tag. */
export const GCM_OVERHEAD = GCM_IV_LENGTH + GCM_TAG_LENGTH;
export const CBC_IV_LENGTH = 16;
const CBC_BLOCK = 16;

const DECRYPT_FAILED = 'decryption failed';

const POOL_SIZE = 64 * 1024;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function reservePool(n: number): number {
  if (poolOffset + n > pool.length) {
    // A fresh pool rather than refilling in place: earlier views handed out stay valid.
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_SIZE));
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += n;
  return at;
}

/**
 * `n` cryptographically random bytes drawn from the pool. The result is a view into the pool:
 * use it for IVs, nonces and keys that are consumed (encrypted with, base64-encoded) right away;
 * copy it if it must be kept for long.
 */
export function randomBytesPooled(n: number): Buffer {
  if (n > POOL_SIZE / 8) return randomFillSync(Buffer.allocUnsafe(n));
  const at = reservePool(n);
  return pool.subarray(at, at + n);
}

/** Writes `n` random bytes into `target` at `offset` without allocating. */
export function fillRandom(target: Uint8Array, offset: number, n: number): void {
  const at = reservePool(n);
  pool.copy(target, offset, at, at + n);
}

/** Plaintext as one chunk or several (so callers never concatenate a header and a body). */
export type Plaintext = Uint8Array | string | readonly (Uint8Array | string)[];

export interface GcmOptions {
  /** Explicit 12-byte IV, for deterministic tests and vectors; random otherwise. */
  iv?: Uint8Array;
  aad?: Uint8Array;
}

function chunksOf(plain: Plaintext): readonly (Uint8Array | string)[] {
  return typeof plain === 'string' || plain instanceof Uint8Array ? [plain] : plain;
}

export function plaintextLength(plain: Plaintext): number {
  let n = 0;
  for (const c of chunksOf(plain)) n += typeof c === 'string' ? Buffer.byteLength(c, 'utf8') : c.length;
  return n;
}

/** Length of `IV ‖ ct ‖ tag` for a plaintext of `plainLength` bytes. */
export function gcmSealedLength(plainLength: number): number {
  return GCM_OVERHEAD + plainLength;
}

function requireKey(key: Uint8Array): void {
  if (key.length !== AES_KEY_LENGTH) throw new ProtocolError('ERR_INVALID_INPUT', 'AES-256 key must be 32 bytes');
}

/**
 * Encrypts into `target` at `offset` as `IV ‖ ct ‖ tag`; returns the offset just past the tag.
 * `target` must have `gcmSealedLength(plaintextLength(plain))` bytes free at `offset`.
 */
export function aesGcmSealInto(target: Buffer, offset: number, key: Uint8Array, plain: Plaintext, options: GcmOptions = {}): number {
  requireKey(key);
  const ivAt = offset;
  if (options.iv) {
    if (options.iv.length !== GCM_IV_LENGTH) throw new ProtocolError('ERR_INVALID_INPUT', 'GCM IV must be 12 bytes');
    target.set(options.iv, ivAt);
  } else {
    fillRandom(target, ivAt, GCM_IV_LENGTH);
  }
  const kernels = cryptoKernels();
  if (kernels) return sealInPlace(kernels, target, ivAt, key, plain, options.aad);
  const cipher = createCipheriv('aes-256-gcm', key, target.subarray(ivAt, ivAt + GCM_IV_LENGTH), { authTagLength: GCM_TAG_LENGTH });
  if (options.aad) cipher.setAAD(options.aad);
  let pos = ivAt + GCM_IV_LENGTH;
  for (const chunk of chunksOf(plain)) {
    const out = typeof chunk === 'string' ? cipher.update(chunk, 'utf8') : cipher.update(chunk);
    pos += out.copy(target, pos);
  }
  pos += cipher.final().copy(target, pos);
  pos += cipher.getAuthTag().copy(target, pos);
  return pos;
}

/** Native seal: the plaintext is copied once, right after the IV, and encrypted where it lies. */
function sealInPlace(kernels: CryptoKernels, target: Buffer, ivAt: number, key: Uint8Array, plain: Plaintext, aad: Uint8Array | undefined): number {
  const bodyAt = ivAt + GCM_IV_LENGTH;
  let pos = bodyAt;
  for (const chunk of chunksOf(plain)) {
    if (typeof chunk === 'string') {
      pos += target.write(chunk, pos, 'utf8');
    } else {
      target.set(chunk, pos);
      pos += chunk.length;
    }
  }
  kernels.gcmSealInPlace(key, target, ivAt, pos - bodyAt, aad);
  return pos + GCM_TAG_LENGTH;
}

/** AES-256-GCM encrypt → `IV ‖ ct ‖ tag`. */
export function aesGcmEncrypt(key: Uint8Array, plain: Plaintext, options: GcmOptions = {}): Buffer {
  const out = Buffer.allocUnsafe(gcmSealedLength(plaintextLength(plain)));
  aesGcmSealInto(out, 0, key, plain, options);
  return out;
}

/** The most bytes a plaintext can take: a string's UTF-8 is at most 3 bytes per UTF-16 unit. */
function plaintextBound(plain: Plaintext): number {
  let n = 0;
  for (const c of chunksOf(plain)) n += typeof c === 'string' ? c.length * 3 : c.length;
  return n;
}

/** Sealed bytes up to this size go through one reusable buffer (`aesGcmSealText`). */
const SCRATCH_SIZE = 64 * 1024;
let scratch: Buffer | undefined;

/**
 * `prefix ‖ IV ‖ ct ‖ tag` as base64 or base64url text: the form every token and envelope the
 * operator sends takes. The bytes only live until they are encoded, so when they fit they are
 * sealed in one buffer reused by every call (the thread's; nothing in it outlives the call but
 * ciphertext and the clear prefix), with no allocation and no length pass over a string plaintext.
 */
export function aesGcmSealText(key: Uint8Array, prefix: Uint8Array, plain: Plaintext, encoding: 'base64' | 'base64url', options: GcmOptions = {}): string {
  let out: Buffer;
  if (prefix.length + GCM_OVERHEAD + plaintextBound(plain) <= SCRATCH_SIZE) {
    out = scratch ??= Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  } else {
    out = Buffer.allocUnsafe(prefix.length + gcmSealedLength(plaintextLength(plain)));
  }
  out.set(prefix, 0);
  const end = aesGcmSealInto(out, prefix.length, key, plain, options);
  return out.toString(encoding, 0, end);
}

/** AES-256-GCM decrypt of `IV ‖ ct ‖ tag`; any failure is `ERR_DECRYPT`. */
export function aesGcmDecrypt(key: Uint8Array, data: Uint8Array, aad?: Uint8Array): Buffer {
  if (data.length < GCM_OVERHEAD) throw new ProtocolError('ERR_DECRYPT', DECRYPT_FAILED);
  return aesGcmDecryptDetached(key, data.subarray(0, GCM_IV_LENGTH), data.subarray(GCM_IV_LENGTH), aad);
}

/** AES-256-GCM decrypt with the IV apart from `ct ‖ tag` (CSTG sends them separately, spec §9). */
export function aesGcmDecryptDetached(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Buffer {
  if (key.length !== AES_KEY_LENGTH || iv.length !== GCM_IV_LENGTH || sealed.length < GCM_TAG_LENGTH) {
    throw new ProtocolError('ERR_DECRYPT', DECRYPT_FAILED);
  }
  const kernels = cryptoKernels();
  if (kernels) return openNative(kernels, key, iv, sealed, aad);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: GCM_TAG_LENGTH });
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_LENGTH));
    const body = decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_LENGTH));
    const tail = decipher.final();
    return tail.length === 0 ? body : Buffer.concat([body, tail]);
  } catch (cause) {
    throw new ProtocolError('ERR_DECRYPT', DECRYPT_FAILED, { cause });
  }
}

function openNative(kernels: CryptoKernels, key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array | undefined): Buffer {
  const out = Buffer.allocUnsafe(sealed.length - GCM_TAG_LENGTH);
  let ok: boolean;
  try {
    ok = kernels.gcmOpenInto(key, iv, sealed, aad, out);
  } catch (cause) {
    throw new ProtocolError('ERR_DECRYPT', DECRYPT_FAILED, { cause });
  }
  if (!ok) throw new ProtocolError('ERR_DECRYPT', DECRYPT_FAILED);
  return out;
}

/** AES-256-CBC encrypt with PKCS#5 padding → `IV ‖ ct` (only tests and fixtures need this). */
export function aesCbcEncrypt(key: Uint8Array, plain: Uint8Array, iv?: Uint8Array): Buffer {
  requireKey(key);
  if (iv && iv.length !== CBC_IV_LENGTH) throw new ProtocolError('ERR_INVALID_INPUT', 'CBC IV must be 16 bytes');
  const out = Buffer.allocUnsafe(CBC_IV_LENGTH + (Math.floor(plain.length / CBC_BLOCK) + 1) * CBC_BLOCK);
  if (iv) out.set(iv, 0);
  else fillRandom(out, 0, CBC_IV_LENGTH);
  const cipher = createCipheriv('aes-256-cbc', key, out.subarray(0, CBC_IV_LENGTH));
  let pos = CBC_IV_LENGTH + cipher.update(plain).copy(out, CBC_IV_LENGTH);
  pos += cipher.final().copy(out, pos);
  return out.subarray(0, pos);
}

/** AES-256-CBC decrypt of `IV ‖ ct`; bad length or padding is `ERR_DECRYPT`. */
export function aesCbcDecrypt(key: Uint8Array, data: Uint8Array): Buffer {
  const ctLength = data.length - CBC_IV_LENGTH;
  if (key.length !== AES_KEY_LENGTH || ctLength < CBC_BLOCK || ctLength % CBC_BLOCK !== 0) {
    throw new ProtocolError('ERR_DECRYPT', DECRYPT_FAILED);
  }
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, data.subarray(0, CBC_IV_LENGTH));
    return Buffer.concat([decipher.update(data.subarray(CBC_IV_LENGTH)), decipher.final()]);
  } catch (cause) {
    throw new ProtocolError('ERR_DECRYPT', DECRYPT_FAILED, { cause });
  }
}
