import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeltaLog, DeltaLogClosedError } from '../../src/optout/delta-log.ts';
import { OPTOUT_RECORD_SIZE, decodeOptOutRecord, encodeOptOutRecord } from '../../src/protocol/optout-record.ts';

const record = (i: number) => {
  const hash = Buffer.alloc(32);
  hash.writeUInt32BE(i + 1);
  return encodeOptOutRecord({ identityHash: hash, advertisingId: Buffer.alloc(32, 7), timestampS: 1000 + i });
};

test('concurrent appends are all durable once acknowledged, each exactly once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'delta-log-'));
  try {
    const log = await DeltaLog.open(join(dir, 'a.delta'));
    await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(record(i))));
    assert.equal(log.recordCount, 300);
    assert.ok(log.syncCount < 300 / 10, `group commit: ${log.syncCount} fsyncs for 300 records`);
    const bytes = await readFile(join(dir, 'a.delta'));
    const ids = new Set<number>();
    for (let off = 0; off < bytes.length; off += OPTOUT_RECORD_SIZE) ids.add(decodeOptOutRecord(bytes, off).identityHash.readUInt32BE(0));
    assert.equal(ids.size, 300);
    assert.deepEqual(await log.read(), bytes);
    await log.close();
    await assert.rejects(log.append(record(1)), DeltaLogClosedError);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('reopening truncates a torn final record and keeps appending after the whole ones', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'delta-log-'));
  try {
    const path = join(dir, 'b.delta');
    await writeFile(path, Buffer.concat([record(0), record(1), record(2).subarray(0, 40)]));
    const log = await DeltaLog.open(path);
    assert.equal(log.recordCount, 2);
    assert.equal((await stat(path)).size, 2 * OPTOUT_RECORD_SIZE);
    await log.append(record(3));
    await log.close();
    const bytes = await readFile(path);
    assert.equal(bytes.length, 3 * OPTOUT_RECORD_SIZE);
    assert.deepEqual(bytes.subarray(2 * OPTOUT_RECORD_SIZE), record(3));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a record of the wrong size is refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'delta-log-'));
  try {
    const log = await DeltaLog.open(join(dir, 'c.delta'));
    await assert.rejects(log.append(Buffer.alloc(71)));
    await log.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
