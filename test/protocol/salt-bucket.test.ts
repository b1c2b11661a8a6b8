import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BUCKET_ID_MIN_LENGTH,
  bucketIndex,
  bucketIndex20,
  bucketIndexOfBase64,
  createBucketIdEncoder,
  FULL_BUCKET_COUNT,
} from '../../src/protocol/salt-bucket.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { loadVectors } from '../support/shared.ts';

const vectors = loadVectors();

vectors.bucket_index.forEach((v: { first_level_hash_b64: string; idx20: number; entry_count: number; index: number }, i: number) => {
  test(`bucket_index/${i}`, () => {
    const flh = Buffer.from(v.first_level_hash_b64, 'base64');
    assert.equal(bucketIndex20(flh), v.idx20);
    assert.equal(bucketIndex(flh, v.entry_count), v.index);
    assert.equal(bucketIndexOfBase64(v.first_level_hash_b64, v.entry_count), v.index);
  });
});

vectors.bucket_ids.forEach((v: { id_secret: string; id_prefix: string; min_length: number; id: number; bucket_id: string }, i: number) => {
  test(`bucket_ids/${i}`, () => {
    assert.equal(BUCKET_ID_MIN_LENGTH, v.min_length);
    const encode = createBucketIdEncoder(v.id_secret, v.id_prefix);
    assert.equal(encode(v.id), v.bucket_id);
    assert.ok(v.bucket_id.length >= v.id_prefix.length + v.min_length);
  });
});

test('bucketIndex stays in range for any FLH and entry count', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: FULL_BUCKET_COUNT + 5 }), (flh, n) => {
      const idx = bucketIndex(flh, n);
      assert.ok(idx >= 0 && idx < n);
      assert.ok(bucketIndex20(flh) < FULL_BUCKET_COUNT);
    }),
    { numRuns: 200 },
  );
});

test('bucketIndexOfBase64 of the base64 text equals bucketIndex of the bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: FULL_BUCKET_COUNT + 5 }), (flh, n) => {
      assert.equal(bucketIndexOfBase64(Buffer.from(flh).toString('base64'), n), bucketIndex(flh, n));
      assert.equal(bucketIndexOfBase64(Buffer.from(flh).toString('base64'), FULL_BUCKET_COUNT), bucketIndex20(flh));
    }),
    { numRuns: 1000 },
  );
  assert.throws(() => bucketIndexOfBase64('AB=', 5), (e) => isProtocolError(e, 'ERR_TOO_SHORT'));
  assert.throws(() => bucketIndexOfBase64('AB*C', 5), (e) => isProtocolError(e, 'ERR_TOO_SHORT'));
  assert.throws(() => bucketIndexOfBase64('ABCD', 0), (e) => isProtocolError(e, 'ERR_FORMAT'));
});

test('bad bucket inputs throw typed errors', () => {
  assert.throws(() => bucketIndex(Buffer.alloc(2), 5), (e) => isProtocolError(e, 'ERR_TOO_SHORT'));
  assert.throws(() => bucketIndex(Buffer.alloc(32), 0), (e) => isProtocolError(e, 'ERR_FORMAT'));
  assert.throws(() => createBucketIdEncoder('s', 'b')(-1), (e) => isProtocolError(e, 'ERR_FORMAT'));
});
