/**
 * Optional native crypto kernels (issue 6). The protocol library stays pure: it never loads
 * anything itself; `src/native` installs an implementation here at start-up and the protocol
 * code uses it when present, node:crypto otherwise. Outputs are identical either way.
 *
 * Every byte argument may be a view (a Buffer or a subarray with a non-zero byteOffset).
 * Implementations validate every length and offset and throw TypeError/RangeError on bad
 * arguments; they never read or write outside the views they are given.
 */
export interface CryptoKernels {
  /** e.g. "uid2-native 1", for status and diagnostics. */
  readonly version: string;
  /**
   * AES-256-GCM seal in place: IV = buf[ivOffset, +12), plaintext = the next `plainLength` bytes,
   * encrypted where it lies; the 16-byte tag is written right after it. `key` is 32 bytes.
   */
  gcmSealInPlace(key: Uint8Array, buf: Uint8Array, ivOffset: number, plainLength: number, aad?: Uint8Array | null): void;
  /**
   * AES-256-GCM open of `ct ‖ tag(16)` into out[0, sealed.length - 16). Returns false when the
   * tag does not verify (what was written is zeroed); throws only on bad arguments.
   */
  gcmOpenInto(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array | null | undefined, out: Uint8Array): boolean;
  /**
   * For each item i < n = aOffsets.length - 1: out[44i, 44i+44) = base64 (standard, padded, ASCII)
   * of SHA-256(a[aOffsets[i], aOffsets[i+1]) ‖ b[bRanges[2i], bRanges[2i+1])). An empty b range
   * means no suffix. `out` needs at least 44n bytes.
   */
  sha256Base64Pairs(a: Uint8Array, aOffsets: Uint32Array, b: Uint8Array, bRanges: Uint32Array, out: Uint8Array): void;
  /** out[outOffset, +32) = SHA-256 of the UTF-8 of `text`. */
  sha256TextInto(text: string, out: Uint8Array, outOffset: number): void;
  /**
   * out[outOffset, +32) = SHA-256(ASCII of the padded standard base64 of `bytes` ‖ UTF-8 of `salt`);
   * `bytes` is at most 256 bytes.
   */
  sha256Base64SaltedInto(bytes: Uint8Array, salt: string, out: Uint8Array, outOffset: number): void;
}

let installed: CryptoKernels | undefined;

/** Installs (or, with undefined, removes) the kernels the protocol library uses. */
export function useCryptoKernels(k: CryptoKernels | undefined): void {
  installed = k;
}

/** The installed kernels, if any. */
export function cryptoKernels(): CryptoKernels | undefined {
  return installed;
}
