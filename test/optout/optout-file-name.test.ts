import { test } from 'node:test';
import assert from 'node:assert/strict';
import { optOutBlobPath, parseOptOutBlobPath } from '../../src/optout/optout-file-name.ts';

test('names follow upstream: replica %03d, ISO seconds with dots, 8 hex', () => {
  const ts = Date.UTC(2021, 3, 21) / 1000;
  assert.equal(optOutBlobPath('partition', 999, ts, 0x014e024f), 'optout/partition/optout-partition-999_2021-04-21T00.00.00Z_014e024f.dat');
  assert.equal(optOutBlobPath('delta', 7, ts + 61, 3), 'optout/delta/optout-delta-007_2021-04-21T00.01.01Z_00000003.dat');
});

test('parse inverts format and reads upstream names (also inside URLs)', () => {
  const f = parseOptOutBlobPath('optout-partition-999_2021-04-21T00.00.00Z_014e024f.dat');
  assert.deepEqual(
    { ...f, path: undefined },
    { path: undefined, type: 'partition', replicaId: 999, epochSeconds: Date.UTC(2021, 3, 21) / 1000, suffix: 0x014e024f },
  );
  const p = optOutBlobPath('delta', 12, 1_700_000_123, 42);
  assert.equal(parseOptOutBlobPath(p)?.epochSeconds, 1_700_000_123);
  assert.equal(parseOptOutBlobPath(p)?.suffix, 42);
  for (const bad of ['optout-delta-001_2021-04-21T00:00:00Z_00000000.dat', 'x.dat', 'optout-delta-001_garbage_00000000.dat']) {
    assert.equal(parseOptOutBlobPath(bad), undefined, bad);
  }
});
