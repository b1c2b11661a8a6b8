/**
 * Opt-out indexes built on a job thread (src/operator/stores/optout-build-thread.ts): the table
 * the thread sends back is the one this thread builds, over shared files (left in place) or
 * moved ones (given back), and a snapshot loaded that way, or a lazy index made ready, answers
 * as one built here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { encodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { buildOptOutIndexOffThread } from '../../src/operator/stores/optout-build-thread.ts';
import { sharedCopy, useJobThreads } from '../../src/operator/threads/job-thread.ts';
import { LazyOptOutIndex } from '../../src/operator/stores/lazy-optout-index.ts';
import { OptOutIndex } from '../../src/operator/stores/optout-index.ts';
import { buildOptOutSnapshot, loadOptOutSnapshot } from '../../src/operator/stores/optout-store.ts';

// As in a serving operator (startOperator turns them on).
useJobThreads();

/** Record files with repeated identities (earliest time wins) and zero times (not opt-outs). */
function recordFiles(count: number, perFile: number): { files: Buffer[]; identities: Buffer[] } {
  const identities = Array.from({ length: Math.ceil((count * perFile) / 2) }, () => randomBytes(32));
  const files = Array.from({ length: count }, () =>
    Buffer.concat(
      Array.from({ length: perFile }, () =>
        encodeOptOutRecord({ identityHash: identities[randomInt(identities.length)], advertisingId: randomBytes(32), timestampS: randomInt(0, 6) === 0 ? 0 : randomInt(1, 1e9) }),
      ),
    ),
  );
  return { files, identities };
}

const keysOf = (identities: Buffer[]) => [...identities.map((b) => b.toString('base64')), randomBytes(32).toString('base64')];

test('a prebuilt table is taken as it is, and refused when it does not fit the files', () => {
  const { files, identities } = recordFiles(2, 300);
  const local = new OptOutIndex(files, 'identity');
  const again = new OptOutIndex(files, 'identity', local.tableParts());
  for (const key of keysOf(identities)) assert.equal(again.get(key), local.get(key));
  assert.throws(() => new OptOutIndex(files.slice(0, 1), 'identity', local.tableParts()), /does not fit/);
});

test('shared files: the thread builds the same table and the files stay where they are', async () => {
  const { files, identities } = recordFiles(3, 2000);
  const shared = files.map(sharedCopy);
  const built = await buildOptOutIndexOffThread(shared, 'identity', 'share');
  assert.ok(built !== undefined, 'the thread took the job');
  const local = new OptOutIndex(files, 'identity');
  assert.deepEqual(built.index.tableParts(), local.tableParts());
  for (const key of keysOf(identities)) assert.equal(built.index.get(key), local.get(key));
  assert.ok(built.files.every((f, i) => f.buffer === shared[i].buffer), 'the same shared memory');
  // Files that are not shared are not moved in share mode: the caller builds here.
  assert.equal(await buildOptOutIndexOffThread(files, 'identity', 'share'), undefined);
});

test('moved files come back whole, the originals are handed over', async () => {
  const { files } = recordFiles(2, 1000);
  const copies = files.map((f) => Buffer.from(new Uint8Array(f)));
  const built = await buildOptOutIndexOffThread(copies, 'advertising', 'move');
  assert.ok(built !== undefined);
  assert.deepEqual(built.files, files);
  assert.ok(copies.every((c) => c.buffer.byteLength === 0), 'moved, not copied');
  const local = new OptOutIndex(files, 'advertising');
  assert.deepEqual(built.index.tableParts(), local.tableParts());
});

test('a large snapshot loaded with a thread answers as one built here', async () => {
  const { files, identities } = recordFiles(2, 40_000); // 5.8 MB: over the thread threshold
  const local = buildOptOutSnapshot(files, 7);
  for (const mode of ['share', 'move'] as const) {
    const input = mode === 'share' ? files.map(sharedCopy) : files.map((f) => Buffer.from(new Uint8Array(f)));
    const loaded = await loadOptOutSnapshot(input, 7, mode);
    assert.equal(loaded.entryCount, local.entryCount);
    for (const key of keysOf(identities).slice(0, 5000)) {
      assert.equal(loaded.byIdentityHash.get(key), local.byIdentityHash.get(key));
    }
    const ad = files[0].subarray(32, 64).toString('base64');
    assert.equal(loaded.byAdvertisingId.get(ad), local.byAdvertisingId.get(ad));
  }
});

test('the lazy advertising-id index is built on a job thread by ready() over large shared files', async () => {
  const { files } = recordFiles(2, 40_000);
  const shared = files.map(sharedCopy);
  const lazy = new LazyOptOutIndex(shared, 'advertising');
  // The event loop keeps turning while the thread builds.
  let turns = 0;
  let spinning = true;
  const spin = () => {
    turns++;
    if (spinning) setImmediate(spin);
  };
  setImmediate(spin);
  const ready = lazy.ready();
  assert.equal(lazy.ready(), ready, 'one build for every caller');
  await ready;
  spinning = false;
  assert.ok(turns > 1, `${turns} event-loop turns during the build`);
  const local = new OptOutIndex(files, 'advertising');
  assert.equal(lazy.size, local.size);
  for (let r = 0; r < 2000; r += 7) {
    const id = files[r % 2].subarray((r % 40_000) * 72 + 32, (r % 40_000) * 72 + 64).toString('base64');
    assert.equal(lazy.get(id), local.get(id));
  }
});
