/**
 * Constant-time equality for secrets (issue 7 §6): API/operator keys, MACs, synthetic IVs.
 * `===` and `Buffer.equals` stop at the first differing byte, so their timing tells an attacker
 * how much of a guess was right. Both sides are hashed first, which makes the comparison
 * fixed-length (timingSafeEqual needs equal lengths) and hides the secret's length as well.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}

/** True when `a` and `b` hold the same bytes (strings compare as UTF-8), in constant time. */
export function isSameSecret(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
