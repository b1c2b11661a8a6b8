/**
 * `sha256Base64Pairs` of the native kernels (src/protocol/crypto-kernels.ts), or the same contract
 * in plain node:crypto when they are not installed (`UID2_NATIVE=off`, addon not built): the batch
 * identity mapper runs one pipeline either way, with identical output.
 */
import { hash } from 'node:crypto';
import { cryptoKernels } from '../../protocol/crypto-kernels.ts';

const BASE64_HASH_LENGTH = 44;

/**
 * out[44i, 44i+44) = base64(SHA-256(a[aOffsets[i], aOffsets[i+1]) ‖ b[bRanges[2i], bRanges[2i+1])))
 * for i < aOffsets.length - 1.
 */
export function sha256Base64Pairs(a: Uint8Array, aOffsets: Uint32Array, b: Uint8Array, bRanges: Uint32Array, out: Buffer): void {
  const kernels = cryptoKernels();
  if (kernels) return kernels.sha256Base64Pairs(a, aOffsets, b, bRanges, out);
  let scratch = Buffer.allocUnsafe(256);
  for (let i = 0; i + 1 < aOffsets.length; i++) {
    const aLength = aOffsets[i + 1] - aOffsets[i];
    const length = aLength + bRanges[2 * i + 1] - bRanges[2 * i];
    if (length > scratch.length) scratch = Buffer.allocUnsafe(2 * length);
    // Plain loops: the ranges are short (a hash, a salt, an email) and a view per copy costs more.
    let p = 0;
    for (let j = aOffsets[i]; j < aOffsets[i + 1]; j++) scratch[p++] = a[j];
    for (let j = bRanges[2 * i]; j < bRanges[2 * i + 1]; j++) scratch[p++] = b[j];
    out.write(hash('sha256', scratch.subarray(0, length), 'base64'), BASE64_HASH_LENGTH * i, BASE64_HASH_LENGTH, 'latin1');
  }
}
