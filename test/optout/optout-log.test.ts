import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OptOutLog } from '../../src/optout/optout-log.ts';
import { MemoryBlobStore } from '../../src/storage/memory-blob-store.ts';
import { parseOptOutBlobPath } from '../../src/optout/optout-file-name.ts';
import { OPTOUT_RECORD_SIZE, decodeOptOutRecord, encodeOptOutRecord } from '../../src/protocol/optout-record.ts';

const T0 = 1_700_000_000;
const config = { deltaRotateIntervalS: 300, partitionIntervalS: 3600, maxPartitions: 2, replicaId: 5 };

async function setup() {
  const dir = await mkdtemp(join(tmpdir(), 'optout-log-'));
  let nowMs = T0 * 1000;
  const clock = { now: () => nowMs, advance: (s: number) => (nowMs += s * 1000) };
  const store = new MemoryBlobStore({ baseUrl: 'http://127.0.0.1:1', secret: randomBytes(32) });
  const open = () => OptOutLog.open({ store, pendingDir: join(dir, 'pending'), config, now: clock.now });
  return { dir, clock, store, open, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const hash = (n: number) => Buffer.alloc(32, n);
const adId = () => randomBytes(32);

function records(bytes: Buffer) {
  return Array.from({ length: bytes.length / OPTOUT_RECORD_SIZE }, (_, i) => decodeOptOutRecord(bytes, i * OPTOUT_RECORD_SIZE));
}

test('the open delta is published as growing snapshots; refresh lists only the newest', async () => {
  const s = await setup();
  const log = await s.open();
  try {
    assert.equal(await log.add(hash(1), adId()), T0);
    await log.add(hash(2), adId());
    await log.publish();
    await log.add(hash(3), adId());
    await log.publish();
    let listed = await s.store.list('optout/');
    assert.equal(listed.length, 2, 'previous snapshot kept for in-flight links');
    const { entries, version } = log.entries();
    assert.equal(entries.length, 1);
    assert.deepEqual({ ...entries[0], path: undefined }, { type: 'delta', from: T0, to: T0 + 300, path: undefined });
    assert.equal(parseOptOutBlobPath(entries[0].path)?.suffix, 3);
    assert.equal(records((await s.store.get(entries[0].path))!).length, 3);

    await log.add(hash(4), adId());
    await log.publish();
    listed = await s.store.list('optout/');
    assert.deepEqual(listed.map((p) => parseOptOutBlobPath(p)?.suffix), [3, 4]);
    assert.ok(log.entries().version > version, 'version grows when the published set changes');
    await log.publish(); // unchanged: no new upload
    assert.equal((await s.store.list('optout/')).length, 2);
  } finally {
    await log.close();
    await s.cleanup();
  }
});

test('rotation uploads the final delta, compaction merges old deltas into a sorted partition, expiry deletes', async () => {
  const s = await setup();
  const log = await s.open();
  try {
    await log.add(hash(9), adId());
    await log.add(hash(1), adId());
    await log.publish();
    s.clock.advance(300);
    await log.tick();
    let files = (await s.store.list('optout/')).map((p) => parseOptOutBlobPath(p)!);
    assert.deepEqual(files.map((f) => [f.type, f.epochSeconds, f.suffix]), [['delta', T0, 2]]);
    assert.deepEqual(await readdir(join(s.dir, 'pending')), [`${T0 + 300}.delta`]);

    // Same identity again later: the partition keeps the earliest timestamp.
    s.clock.advance(10);
    await log.add(hash(9), adId());
    await log.add(hash(200), adId());
    s.clock.advance(3600);
    await log.tick(); // rotates the second delta, then compacts both
    files = (await s.store.list('optout/')).map((p) => parseOptOutBlobPath(p)!);
    assert.deepEqual(files.map((f) => f.type), ['partition']);
    assert.equal(files[0].epochSeconds, T0 + 300, 'stamped with the newest merged delta');
    const merged = records((await s.store.get(files[0].path))!);
    assert.deepEqual(merged.map((r) => r.identityHash[0]), [1, 9, 200]);
    assert.equal(merged[1].timestampS, BigInt(T0));
    assert.deepEqual(log.entries().entries.map((e) => e.type), ['partition']);

    // New opt-outs after the partition are listed as a delta next to it.
    await log.add(hash(50), adId());
    await log.publish();
    assert.deepEqual(log.entries().entries.map((e) => e.type), ['partition', 'delta']);

    s.clock.advance(3600 * 2 + 1);
    await log.tick();
    files = (await s.store.list('optout/')).map((p) => parseOptOutBlobPath(p)!);
    assert.ok(files.every((f) => f.epochSeconds >= s.clock.now() / 1000 - 7200), 'expired files are gone');
    assert.ok(!files.some((f) => f.type === 'partition'));
  } finally {
    await log.close();
    await s.cleanup();
  }
});

test('restart recovers local deltas: leftovers are finalized, the newest keeps growing', async () => {
  const s = await setup();
  const first = await s.open();
  await first.add(hash(1), adId());
  s.clock.advance(300);
  await first.tick(); // T0 delta uploaded; new local file at T0+300
  await first.add(hash(2), adId());
  // Simulated crash: no close(); plus an older local delta (with a torn tail) left by an
  // interrupted rotation.
  const leftover = encodeOptOutRecord({ identityHash: hash(7), advertisingId: adId(), timestampS: T0 - 600 });
  await writeFile(join(s.dir, 'pending', `${T0 - 600}.delta`), Buffer.concat([leftover, Buffer.alloc(30, 1)]));
  s.clock.advance(5);
  const second = await s.open();
  try {
    await second.add(hash(3), adId());
    await second.publish();
    const entries = second.entries().entries;
    const all = (await Promise.all(entries.map(async (e) => records((await s.store.get(e.path))!)))).flat();
    assert.deepEqual(all.map((r) => r.identityHash[0]).sort(), [1, 2, 3, 7]);
    assert.deepEqual(await readdir(join(s.dir, 'pending')), [`${T0 + 300}.delta`]);
  } finally {
    await second.close();
    await first.close().catch(() => undefined);
    await s.cleanup();
  }
});
