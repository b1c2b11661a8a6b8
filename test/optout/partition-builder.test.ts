import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { buildPartition } from '../../src/optout/partition-builder.ts';
import { OPTOUT_RECORD_SIZE, decodeOptOutRecord, encodeOptOutRecord } from '../../src/protocol/optout-record.ts';

const rec = (hashByte: number, ts: number, ad = randomBytes(32)) =>
  encodeOptOutRecord({ identityHash: Buffer.alloc(32, hashByte), advertisingId: ad, timestampS: ts });

test('partition is sorted by identity hash as unsigned bytes and keeps the earliest record per hash', () => {
  const earlyAd = randomBytes(33);
  earlyAd[0] = 0x05;
  const a = Buffer.concat([rec(0x80, 50), rec(0x01, 10), rec(0xff - 1, 7)]);
  const b = Buffer.concat([rec(0x80, 20, earlyAd), rec(0x01, 30), Buffer.alloc(10, 1)]); // torn tail ignored
  const out = buildPartition([a, b]);
  assert.equal(out.length, 3 * OPTOUT_RECORD_SIZE);
  const records = [0, 1, 2].map((i) => decodeOptOutRecord(out, i * OPTOUT_RECORD_SIZE));
  assert.deepEqual(records.map((r) => r.identityHash[0]), [0x01, 0x80, 0xfe]);
  assert.deepEqual(records.map((r) => r.timestampS), [10n, 20n, 7n]);
  assert.deepEqual(records[1].advertisingId, earlyAd);
});

test('empty input gives an empty partition', () => {
  assert.equal(buildPartition([]).length, 0);
});
