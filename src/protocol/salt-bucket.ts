/**
 * Salt bucket selection and bucket ids (spec §6.2, §6.3).
 *
 * | value     | rule                                                                        |
 * | idx20     | (FLH[0] << 12) | (FLH[1] << 4) | (FLH[2] & 0x0F), 0 … 1,048,575             |
 * | bucket    | idx20 when the salt file has exactly 2^20 entries, else idx20 mod entries   |
 * | bucket id | id_prefix + Hashids(salt = id_secret, minLength = 9).encode(entry id)       |
 *
 * npm hashids 2.3 produces the same ids as upstream's org.hashids 1.0.3 (vectors `bucket_ids`).
 */
import Hashids from 'hashids';
import { base64DigitAt } from './base64-digits.ts';
import { ProtocolError } from './errors.ts';

/** Number of salt buckets in production; a file of exactly this size is indexed without modulo. */
export const FULL_BUCKET_COUNT = 1 << 20;
export const BUCKET_ID_MIN_LENGTH = 9;

/** The 20-bit index taken from the first three bytes of a first-level hash. */
export function bucketIndex20(flh: Uint8Array): number {
  if (flh.length < 3) throw new ProtocolError('ERR_TOO_SHORT', 'first-level hash too short');
  return (flh[0] << 12) | (flh[1] << 4) | (flh[2] & 0x0f);
}

/** Line of the salt file that holds the bucket of `flh`. */
export function bucketIndex(flh: Uint8Array, entryCount: number): number {
  if (!Number.isSafeInteger(entryCount) || entryCount <= 0) {
    throw new ProtocolError('ERR_FORMAT', 'salt file has no entries');
  }
  const idx20 = bucketIndex20(flh);
  return entryCount === FULL_BUCKET_COUNT ? idx20 : idx20 % entryCount;
}

/** Returns the function that turns a salt entry id into its public bucket id. */
export function createBucketIdEncoder(secret: string, prefix: string): (id: number) => string {
  const hashids = new Hashids(secret, BUCKET_ID_MIN_LENGTH);
  return (id: number): string => {
    if (!Number.isSafeInteger(id) || id < 0) throw new ProtocolError('ERR_FORMAT', 'bucket id must be a non-negative integer');
    return prefix + hashids.encode(id);
  };
}

/**
 * `bucketIndex` of a first-level hash held as standard base64 text: its first 4 characters are
 * exactly bytes 0..2 (the identity-map hot path keeps hashes as text), decoded here without a
 * Buffer.
 */
export function bucketIndexOfBase64(flhBase64: string, entryCount: number): number {
  if (!Number.isSafeInteger(entryCount) || entryCount <= 0) {
    throw new ProtocolError('ERR_FORMAT', 'salt file has no entries');
  }
  const a = base64DigitAt(flhBase64, 0);
  const b = base64DigitAt(flhBase64, 1);
  const c = base64DigitAt(flhBase64, 2);
  const d = base64DigitAt(flhBase64, 3);
  if ((a | b | c | d) < 0) throw new ProtocolError('ERR_TOO_SHORT', 'first-level hash too short');
  // 24 bits = bytes 0..2; idx20 = byte0 << 12 | byte1 << 4 | (byte2 & 0x0F) (spec §6.2).
  const bits = (a << 18) | (b << 12) | (c << 6) | d;
  const idx20 = ((bits >> 8) << 4) | (bits & 0x0f);
  return entryCount === FULL_BUCKET_COUNT ? idx20 : idx20 % entryCount;
}
