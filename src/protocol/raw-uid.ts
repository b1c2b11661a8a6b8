/**
 * Raw UIDs (advertising ids) derived from a first-level hash (spec §6.4).
 *
 * v2 (32 bytes): SHA-256(ASCII(base64(FLH)) ‖ UTF-8(rotating salt))
 *
 * v3 (33 bytes):
 * | offset | size | field                                      |
 * | 0      | 1    | (scope << 4) | (type << 2)                 |
 * | 1      | 32   | the v2 hash                                 |
 *
 * v4 (33 bytes, "refreshable UID"), key material (keyId, key, salt) from the salt line:
 * | offset | size | field                                                                |
 * | 0      | 1    | metadata: (env << 6) | (1 << 5) | (scope << 4) | (type << 2)         |
 * | 1      | 3    | keyId, big-endian                                                    |
 * | 4      | 12   | IV = SHA-256(UTF-8(key salt) ‖ FLH[16..32) ‖ metadata ‖ keyId(3))[0..12) |
 * | 16     | 16   | AES-CTR(key = UTF-8(key string), counter = IV ‖ 00000000, FLH[16..32)) |
 * | 32     | 1    | checksum: XOR of bytes 0..31                                         |
 */
import { createCipheriv, createHash } from 'node:crypto';
import { ProtocolError } from './errors.ts';
import { FIRST_LEVEL_HASH_SIZE, hashBase64WithSalt } from './first-level-hash.ts';
import {
  IdentityEnvironment,
  type IdentityScope,
  type IdentityType,
  readIdentityByte,
} from './identity-kinds.ts';
import type { KeyMaterial } from './salt-file.ts';
import { isSameSecret } from './secret-comparison.ts';

export const RAW_UID_V2_SIZE = 32;
export const RAW_UID_V3_SIZE = 33;
export const RAW_UID_V4_SIZE = 33;

const V4_META = 0;
const V4_KEY_ID = 1;
const V4_IV = 4;
const V4_ENCRYPTED = 16;
const V4_CHECKSUM = 32;
const KEY_ID_SIZE = 3;
const IV_SIZE = 12;
const HASH_SUFFIX_OFFSET = 16;
const V4_VERSION_BIT = 1 << 5;
/** Bits that are always zero in a v4 metadata byte (the two low bits). */
const V4_RESERVED_BITS = 0x03;
const MAX_KEY_ID = 0xffffff;

function requireFlh(flh: Uint8Array): void {
  if (flh.length !== FIRST_LEVEL_HASH_SIZE) throw new ProtocolError('ERR_INVALID_INPUT', 'first-level hash must be 32 bytes');
}

export function rawUidV2(flh: Uint8Array, salt: string): Buffer {
  requireFlh(flh);
  return hashBase64WithSalt(flh, salt);
}

export function rawUidV3(flh: Uint8Array, salt: string, scope: IdentityScope, type: IdentityType): Buffer {
  return Buffer.concat([Buffer.of((scope << 4) | (type << 2)), rawUidV2(flh, salt)]);
}

export function rawUidV4Metadata(scope: IdentityScope, type: IdentityType, environment: IdentityEnvironment): number {
  return (environment << 6) | V4_VERSION_BIT | (scope << 4) | (type << 2);
}

function ctrCipherName(key: Buffer): string {
  switch (key.length) {
    case 16:
      return 'aes-128-ctr';
    case 24:
      return 'aes-192-ctr';
    case 32:
      return 'aes-256-ctr';
    default:
      throw new ProtocolError('ERR_INVALID_INPUT', 'v4 key must be 16, 24 or 32 bytes of UTF-8');
  }
}

/** AES-CTR is its own inverse, so this both encrypts and decrypts the 16-byte hash suffix. */
function ctrTransform(key: string, iv: Buffer, data: Buffer): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const counter = Buffer.concat([iv, Buffer.alloc(4)]);
  const cipher = createCipheriv(ctrCipherName(keyBytes), keyBytes, counter);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

function deriveIv(salt: string, hashSuffix: Buffer, metadata: number, keyId: Buffer): Buffer {
  return createHash('sha256')
    .update(salt, 'utf8')
    .update(hashSuffix)
    .update(Buffer.of(metadata))
    .update(keyId)
    .digest()
    .subarray(0, IV_SIZE);
}

function xorChecksum(bytes: Buffer): number {
  let checksum = 0;
  for (const byte of bytes) checksum ^= byte;
  return checksum;
}

function keyIdBytes(keyId: number): Buffer {
  if (!Number.isInteger(keyId) || keyId < 0 || keyId > MAX_KEY_ID) {
    throw new ProtocolError('ERR_INVALID_INPUT', 'v4 key id must fit in 3 bytes');
  }
  const out = Buffer.alloc(KEY_ID_SIZE);
  out.writeUIntBE(keyId, 0, KEY_ID_SIZE);
  return out;
}

/** Builds a raw UID v4. `metadata` comes from `rawUidV4Metadata`. */
export function rawUidV4(flh: Uint8Array, key: KeyMaterial, metadata: number): Buffer {
  requireFlh(flh);
  if (!isV4Metadata(metadata)) throw new ProtocolError('ERR_INVALID_INPUT', 'not a v4 metadata byte');
  const kid = keyIdBytes(key.id);
  const suffix = Buffer.from(flh.buffer, flh.byteOffset + HASH_SUFFIX_OFFSET, FIRST_LEVEL_HASH_SIZE - HASH_SUFFIX_OFFSET);
  const iv = deriveIv(key.salt, suffix, metadata, kid);
  const body = Buffer.concat([Buffer.of(metadata), kid, iv, ctrTransform(key.key, iv, suffix)]);
  return Buffer.concat([body, Buffer.of(xorChecksum(body))]);
}

function isV4Metadata(metadata: number): boolean {
  return (
    Number.isInteger(metadata) &&
    metadata >= 0 &&
    metadata <= 0xff &&
    (metadata & V4_VERSION_BIT) !== 0 &&
    (metadata & V4_RESERVED_BITS) === 0 &&
    metadata >> 6 <= IdentityEnvironment.prod
  );
}

export interface RawUidV4Header {
  readonly metadata: number;
  readonly scope: IdentityScope;
  readonly type: IdentityType;
  readonly environment: IdentityEnvironment;
  readonly keyId: number;
  readonly iv: Buffer;
  readonly encryptedHash: Buffer;
}

export interface DecodedRawUidV4 extends RawUidV4Header {
  /** FLH[16..32): the decrypted hash suffix. */
  readonly firstLevelHashSuffix: Buffer;
}

/** Reads a raw UID v4 without a key: length, version bits and checksum are verified. */
export function parseRawUidV4(raw: Uint8Array): RawUidV4Header {
  if (raw.length < RAW_UID_V4_SIZE) throw new ProtocolError('ERR_TOO_SHORT', 'raw UID v4 must be 33 bytes');
  if (raw.length > RAW_UID_V4_SIZE) throw new ProtocolError('ERR_FORMAT', 'raw UID v4 must be 33 bytes');
  const bytes = Buffer.from(raw);
  const metadata = bytes[V4_META];
  if (!isV4Metadata(metadata)) throw new ProtocolError('ERR_VERSION', 'not a raw UID v4');
  if (xorChecksum(bytes.subarray(0, V4_CHECKSUM)) !== bytes[V4_CHECKSUM]) {
    throw new ProtocolError('ERR_FORMAT', 'raw UID v4 checksum mismatch');
  }
  const { scope, type } = readIdentityByte(metadata);
  return {
    metadata,
    scope,
    type,
    environment: (metadata >> 6) as IdentityEnvironment,
    keyId: bytes.readUIntBE(V4_KEY_ID, KEY_ID_SIZE),
    iv: bytes.subarray(V4_IV, V4_IV + IV_SIZE),
    encryptedHash: bytes.subarray(V4_ENCRYPTED, V4_CHECKSUM),
  };
}

/**
 * Decodes a raw UID v4 with its key material (or a lookup by key id). The IV is re-derived from
 * the decrypted suffix and the key salt, so a wrong key is detected (`ERR_DECRYPT`), not returned.
 */
export function decodeRawUidV4(
  raw: Uint8Array,
  key: KeyMaterial | ((keyId: number) => KeyMaterial | undefined),
): DecodedRawUidV4 {
  const header = parseRawUidV4(raw);
  const material = typeof key === 'function' ? key(header.keyId) : key;
  if (material === undefined || material.id !== header.keyId) {
    throw new ProtocolError('ERR_UNKNOWN_KEY', 'raw UID v4 key not found');
  }
  let suffix: Buffer;
  try {
    suffix = ctrTransform(material.key, header.iv, header.encryptedHash);
  } catch {
    throw new ProtocolError('ERR_DECRYPT', 'raw UID v4 decryption failed');
  }
  const expectedIv = deriveIv(material.salt, suffix, header.metadata, keyIdBytes(header.keyId));
  // The derived IV authenticates the UID: compare in constant time (issue 7 §6).
  if (!isSameSecret(expectedIv, header.iv)) throw new ProtocolError('ERR_DECRYPT', 'raw UID v4 decryption failed');
  return { ...header, firstLevelHashSuffix: suffix };
}
