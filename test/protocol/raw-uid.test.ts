import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeRawUidV4,
  parseRawUidV4,
  rawUidV2,
  rawUidV3,
  rawUidV4,
  rawUidV4Metadata,
} from '../../src/protocol/raw-uid.ts';
import { isProtocolError, type ProtocolErrorCode } from '../../src/protocol/errors.ts';
import { parseEnvironment, parseScope, IdentityType } from '../../src/protocol/identity-kinds.ts';
import type { KeyMaterial } from '../../src/protocol/salt-file.ts';
import { loadVectors } from '../support/shared.ts';

const groups = loadVectors().raw_uid;
const typeOf = (name: string): IdentityType => (name === 'phone' ? IdentityType.Phone : IdentityType.Email);

groups.v4_metadata.forEach((v: { scope: string; identity_type: string; environment: string; metadata_byte: number; metadata_hex: string }, i: number) => {
  test(`raw_uid.v4_metadata/${i}`, () => {
    const meta = rawUidV4Metadata(parseScope(v.scope), typeOf(v.identity_type), parseEnvironment(v.environment));
    assert.equal(meta, v.metadata_byte);
    assert.equal(meta.toString(16).padStart(2, '0'), v.metadata_hex);
  });
});

groups.v2.forEach((v: { first_level_hash_b64: string; salt: string; raw_uid_b64: string }, i: number) => {
  test(`raw_uid.v2/${i}`, () => {
    assert.equal(rawUidV2(Buffer.from(v.first_level_hash_b64, 'base64'), v.salt).toString('base64'), v.raw_uid_b64);
  });
});

groups.v3.forEach((v: { scope: string; identity_type: string; first_level_hash_b64: string; salt: string; raw_uid_b64: string }, i: number) => {
  test(`raw_uid.v3/${i}`, () => {
    const flh = Buffer.from(v.first_level_hash_b64, 'base64');
    const uid = rawUidV3(flh, v.salt, parseScope(v.scope), typeOf(v.identity_type));
    assert.equal(uid.toString('base64'), v.raw_uid_b64);
  });
});

interface V4Vector {
  metadata_byte: number;
  first_level_hash_b64: string;
  key_id: number;
  key: string;
  key_salt: string;
  iv_hex: string;
  encrypted_hash_hex: string;
  checksum: number;
  raw_uid_b64: string;
  raw_uid_hex: string;
}

groups.v4.forEach((v: V4Vector, i: number) => {
  test(`raw_uid.v4/${i}`, () => {
    const flh = Buffer.from(v.first_level_hash_b64, 'base64');
    const key: KeyMaterial = { id: v.key_id, key: v.key, salt: v.key_salt };
    const uid = rawUidV4(flh, key, v.metadata_byte);
    assert.equal(uid.toString('base64'), v.raw_uid_b64);
    assert.equal(uid.toString('hex'), v.raw_uid_hex);

    const decoded = decodeRawUidV4(Buffer.from(v.raw_uid_b64, 'base64'), key);
    assert.equal(decoded.metadata, v.metadata_byte);
    assert.equal(decoded.keyId, v.key_id);
    assert.equal(decoded.iv.toString('hex'), v.iv_hex);
    assert.equal(decoded.encryptedHash.toString('hex'), v.encrypted_hash_hex);
    assert.equal(uid[32], v.checksum);
    assert.deepEqual(decoded.firstLevelHashSuffix, flh.subarray(16));
  });
});

const v4 = groups.v4[0] as V4Vector;
const v4Key: KeyMaterial = { id: v4.key_id, key: v4.key, salt: v4.key_salt };
const v4Bytes = (): Buffer => Buffer.from(v4.raw_uid_hex, 'hex');
const rejects = (fn: () => unknown, code: ProtocolErrorCode): void => {
  assert.throws(fn, (e) => isProtocolError(e, code));
};

test('raw UID v4 negative cases throw typed errors', () => {
  rejects(() => decodeRawUidV4(v4Bytes().subarray(0, 32), v4Key), 'ERR_TOO_SHORT');
  rejects(() => decodeRawUidV4(Buffer.alloc(0), v4Key), 'ERR_TOO_SHORT');
  rejects(() => decodeRawUidV4(Buffer.concat([v4Bytes(), Buffer.of(0)]), v4Key), 'ERR_FORMAT');

  const flipped = v4Bytes();
  flipped[32] ^= 0x01;
  rejects(() => decodeRawUidV4(flipped, v4Key), 'ERR_FORMAT');
  const flippedBody = v4Bytes();
  flippedBody[20] ^= 0x80;
  rejects(() => parseRawUidV4(flippedBody), 'ERR_FORMAT');

  for (const meta of [0x00, 0x03, 0x21, 0xe0, 0x1c]) {
    const wrong = v4Bytes();
    wrong[32] ^= wrong[0] ^ meta; // keep the checksum right so only the version check fires
    wrong[0] = meta;
    rejects(() => parseRawUidV4(wrong), 'ERR_VERSION');
  }

  rejects(() => decodeRawUidV4(v4Bytes(), { ...v4Key, id: v4Key.id + 1 }), 'ERR_UNKNOWN_KEY');
  rejects(() => decodeRawUidV4(v4Bytes(), () => undefined), 'ERR_UNKNOWN_KEY');
  rejects(() => decodeRawUidV4(v4Bytes(), { ...v4Key, key: 'key12345key12345key12345key1234X' }), 'ERR_DECRYPT');
  rejects(() => decodeRawUidV4(v4Bytes(), { ...v4Key, salt: 'another salt' }), 'ERR_DECRYPT');
  rejects(() => decodeRawUidV4(v4Bytes(), { ...v4Key, key: 'short' }), 'ERR_DECRYPT');
});

test('raw UID encoders reject bad inputs with typed errors', () => {
  const flh = Buffer.alloc(32, 1);
  rejects(() => rawUidV2(Buffer.alloc(31), 'salt'), 'ERR_INVALID_INPUT');
  rejects(() => rawUidV4(flh, v4Key, 0x00), 'ERR_INVALID_INPUT');
  rejects(() => rawUidV4(flh, { ...v4Key, id: 1 << 24 }, 0x20), 'ERR_INVALID_INPUT');
  rejects(() => rawUidV4(flh, { ...v4Key, key: 'too short' }, 0x20), 'ERR_INVALID_INPUT');
});

const keyArb = fc.record({
  id: fc.integer({ min: 0, max: 0xffffff }),
  key: fc.string({ unit: 'grapheme-ascii', minLength: 32, maxLength: 32 }),
  salt: fc.string({ maxLength: 40 }),
});
const metaArb = fc.tuple(fc.constantFrom(0, 1), fc.constantFrom(0, 1), fc.constantFrom(0, 1, 2)).map(
  ([scope, type, env]) => rawUidV4Metadata(scope as 0 | 1, type as 0 | 1, env as 0 | 1 | 2),
);

test('raw UID v4 encode/decode round trip', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), keyArb, metaArb, (flh, key, meta) => {
      const uid = rawUidV4(flh, key, meta);
      assert.equal(uid.length, 33);
      const decoded = decodeRawUidV4(uid, (id) => (id === key.id ? key : undefined));
      assert.equal(decoded.metadata, meta);
      assert.equal(decoded.keyId, key.id);
      assert.equal(decoded.environment, meta >> 6);
      assert.deepEqual(decoded.firstLevelHashSuffix, Buffer.from(flh).subarray(16));
    }),
    { numRuns: 200 },
  );
});

test('any corrupted raw UID v4 is rejected with a ProtocolError, never decoded wrongly', () => {
  const key: KeyMaterial = v4Key;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 1, max: 255 }), (flh, pos, mask) => {
      const uid = rawUidV4(flh, key, 0x20);
      uid[pos] ^= mask;
      assert.throws(() => decodeRawUidV4(uid, key), (e) => isProtocolError(e));
    }),
    { numRuns: 200 },
  );
});
