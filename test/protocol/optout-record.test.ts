import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeOptOutRecord, encodeOptOutRecord, OPTOUT_RECORD_SIZE } from '../../src/protocol/optout-record.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadVectors, sharedDir } from '../support/shared.ts';

// Timestamps are 56-bit; JSON.parse rounds values above 2^53, so the exact literals are read
// from the file text of each vector (its `input` and `expected` objects).
const vectorsText = readFileSync(join(sharedDir, 'vectors', 'uid2-vectors.json'), 'utf8');
function exactTimestamp(id: string, object: 'input' | 'expected'): bigint {
  const start = vectorsText.indexOf(`"id": ${JSON.stringify(id)}`);
  const next = vectorsText.indexOf('"id": ', start + 1);
  const text = vectorsText.slice(start, next === -1 ? undefined : next);
  const match = new RegExp(`"${object}":\\s*\\{[^}]*"timestamp_s":\\s*(\\d+)`).exec(text);
  assert.ok(start >= 0 && match, `timestamp literal of ${id}.${object}`);
  return BigInt(match[1]);
}

interface RecordFields {
  identity_hash_hex: string;
  advertising_id_hex: string;
  timestamp_s: number;
}
interface OptOutVector {
  id: string;
  record_hex: string;
  input?: RecordFields;
  expected: RecordFields & { advertising_id_b64: string; metadata_byte: number; record_version: number };
  lossy?: boolean;
}

loadVectors().optout_entries.forEach((v: OptOutVector) => {
  test(`optout_entries/${v.id}`, () => {
    const record = Buffer.from(v.record_hex, 'hex');
    assert.equal(record.length, OPTOUT_RECORD_SIZE);
    const decoded = decodeOptOutRecord(record);
    assert.equal(decoded.identityHash.toString('hex'), v.expected.identity_hash_hex);
    assert.equal(decoded.advertisingId.toString('hex'), v.expected.advertising_id_hex);
    assert.equal(decoded.advertisingId.toString('base64'), v.expected.advertising_id_b64);
    const expectedTs = exactTimestamp(v.id, 'expected');
    assert.equal(Number(expectedTs), v.expected.timestamp_s);
    assert.equal(decoded.timestampS, expectedTs);
    assert.equal(decoded.metadata, v.expected.metadata_byte);
    assert.equal(decoded.version, v.expected.record_version);
    if (v.input === undefined) {
      assert.equal(v.lossy, undefined);
      return;
    }
    const encoded = encodeOptOutRecord({
      identityHash: Buffer.from(v.input.identity_hash_hex, 'hex'),
      advertisingId: Buffer.from(v.input.advertising_id_hex, 'hex'),
      timestampS: exactTimestamp(v.id, 'input'),
    });
    assert.equal(encoded.toString('hex'), v.record_hex);
    // A prod/integ v4 UID loses its environment bits on the way through (vectors README §7).
    assert.equal(v.input.advertising_id_hex !== v.expected.advertising_id_hex, v.lossy === true);
  });
});

const recordArb = fc.record({
  identityHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  // 33-byte ids whose first byte fits the 6 metadata bits survive the round trip.
  advertisingId: fc.oneof(
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    fc.tuple(fc.integer({ min: 0, max: 0x3f }), fc.uint8Array({ minLength: 32, maxLength: 32 })).map(([first, rest]) =>
      Uint8Array.from([first, ...rest]),
    ),
  ),
  timestampS: fc.bigInt({ min: 0n, max: (1n << 56n) - 1n }),
});

test('opt-out record encode/decode round trip', () => {
  fc.assert(
    fc.property(recordArb, fc.integer({ min: 0, max: 3 }), (input, records) => {
      const encoded = encodeOptOutRecord(input);
      assert.equal(encoded.length, OPTOUT_RECORD_SIZE);
      // Records are read at an offset inside a whole file.
      const file = Buffer.concat([Buffer.alloc(records * OPTOUT_RECORD_SIZE), encoded]);
      const decoded = decodeOptOutRecord(file, records * OPTOUT_RECORD_SIZE);
      assert.deepEqual(decoded.identityHash, Buffer.from(input.identityHash));
      assert.deepEqual(decoded.advertisingId, Buffer.from(input.advertisingId));
      assert.equal(decoded.timestampS, input.timestampS);
      assert.equal(decoded.version, input.advertisingId.length === 32 ? 0 : 1);
    }),
    { numRuns: 200 },
  );
});

test('opt-out record negative cases throw typed errors', () => {
  const hash = new Uint8Array(32);
  assert.throws(() => decodeOptOutRecord(new Uint8Array(71)), (e) => isProtocolError(e, 'ERR_TOO_SHORT'));
  assert.throws(() => decodeOptOutRecord(new Uint8Array(72), 1), (e) => isProtocolError(e, 'ERR_TOO_SHORT'));
  assert.throws(() => decodeOptOutRecord(new Uint8Array(72), -1), (e) => isProtocolError(e, 'ERR_TOO_SHORT'));
  const invalid = [
    { identityHash: new Uint8Array(31), advertisingId: hash, timestampS: 1 },
    { identityHash: hash, advertisingId: new Uint8Array(34), timestampS: 1 },
    { identityHash: hash, advertisingId: hash, timestampS: -1 },
    { identityHash: hash, advertisingId: hash, timestampS: 1n << 56n },
    { identityHash: hash, advertisingId: hash, timestampS: 1.5 },
  ];
  for (const input of invalid) {
    assert.throws(() => encodeOptOutRecord(input), (e) => isProtocolError(e, 'ERR_INVALID_INPUT'));
  }
});
