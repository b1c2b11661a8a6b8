/**
 * The raw P-256 forms a DCAP quote uses (spec §2.5): public keys as x‖y (64 bytes, no 0x04
 * prefix) and ECDSA signatures as r‖s (64 bytes, IEEE P1363), SHA-256 digest.
 */
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

const COORDINATE_SIZE = 32;

/** x‖y of a P-256 public (or private) key. */
export function encodeRawP256PublicKey(key: KeyObject): Buffer {
  const jwk = (key.type === 'private' ? createPublicKey(key) : key).export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || !jwk.x || !jwk.y) throw new TypeError('not a P-256 key');
  return Buffer.concat([Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

/** Imports x‖y; throws when the point is not on the curve. */
export function decodeRawP256PublicKey(raw: Buffer): KeyObject {
  if (raw.length !== 2 * COORDINATE_SIZE) throw new RangeError('raw P-256 key must be 64 bytes');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(0, COORDINATE_SIZE).toString('base64url'),
      y: raw.subarray(COORDINATE_SIZE).toString('base64url'),
    },
    format: 'jwk',
  });
}

export function signP256Raw(data: Buffer, privateKey: KeyObject): Buffer {
  return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
}

/** False (never throws) for a malformed signature or a key of the wrong type. */
export function verifyP256Raw(data: Buffer, signature: Buffer, publicKey: KeyObject): boolean {
  try {
    return verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}
