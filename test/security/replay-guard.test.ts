import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ReplayGuard, REPLAY_MESSAGE, REPLAY_WINDOW_MS } from '../../src/operator/http/replay-guard.ts';
import { createReplayTable } from '../../src/operator/http/replay-table.ts';
import { levelBase, levelOf, levelSize, levelsOf, openSlots } from '../../src/operator/http/replay-levels.ts';
import { moduleUrl, startModuleWorker } from '../../src/operator/threads/module-worker.ts';
import { encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { fixtureOperator, CLIENTS } from '../operator/support/operator-fixture.ts';

const nonce = (n: number) => Buffer.alloc(8, n);

test('guard: a nonce is fresh once, then a replay; other clients and timestamps are separate', () => {
  const now = 1_000_000_000;
  const guard = new ReplayGuard({ now: () => now });
  assert.equal(guard.admit('a', now, nonce(1)), 'fresh');
  assert.equal(guard.admit('a', now, nonce(1)), 'replayed');
  assert.equal(guard.admit('b', now, nonce(1)), 'fresh', 'another client');
  assert.equal(guard.admit('a', now + 1, nonce(1)), 'fresh', 'another timestamp is another envelope');
  assert.equal(guard.admit('a', now, nonce(2)), 'fresh');
  assert.equal(guard.size, 4);
});

test('guard: entries are forgotten once their timestamp leaves the freshness window, not before', () => {
  let now = 5_000_000;
  const guard = new ReplayGuard({ now: () => now });
  const ts = now + REPLAY_WINDOW_MS - 1; // stamped in the future, still accepted by the envelope check
  guard.admit('a', ts, nonce(1));
  now = ts + REPLAY_WINDOW_MS - 1; // the envelope is still fresh: must still be remembered
  assert.equal(guard.admit('a', ts, nonce(1)), 'replayed');
  now = ts + REPLAY_WINDOW_MS + 10_000; // past the window (plus one bucket): pruned
  guard.admit('x', now, nonce(9));
  assert.equal(guard.size, 1, 'only the new entry is left');
});

test('guard: memory stays bounded under a steady stream (one window of entries)', () => {
  let now = 0;
  // Room for a little more than one window (12,000 entries at this rate): a guard that kept
  // expired entries would answer "full" long before the end. (`size` scans the whole table, so it
  // is read every 100 admissions.)
  const guard = new ReplayGuard({ now: () => now, capacity: 16_000, clientShare: 1 });
  let peak = 0;
  for (let i = 0; i < 60_000; i++) {
    now += 10; // 100 requests per second for 600 s
    assert.equal(guard.admit('a', now, nonce(i % 256).fill(i >> 8, 0, 4)), 'fresh');
    if (i % 100 === 0) peak = Math.max(peak, guard.size);
  }
  assert.ok(peak <= (REPLAY_WINDOW_MS + 10_000) / 10 + 1, `peak ${peak}`);
});

test('guard: exact entries through table growth: 50,000 envelopes fresh once, each replay caught, near misses fresh', () => {
  const now = 1_795_000_000_000;
  const guard = new ReplayGuard({ now: () => now });
  const nonceOf = (i: number) => {
    const n = Buffer.alloc(8);
    n.writeUInt32BE(i, 0);
    n.writeUInt32BE(i * 2654435761 >>> 0, 4);
    return n;
  };
  for (let i = 0; i < 150_000; i++) assert.equal(guard.admit('k', now - (i % 7), nonceOf(i)), 'fresh');
  for (let i = 0; i < 150_000; i += 97) assert.equal(guard.admit('k', now - (i % 7), nonceOf(i)), 'replayed');
  // One word different each: another nonce half, timestamp, or client is another envelope.
  const base = nonceOf(12_345);
  const flipped = Buffer.from(base);
  flipped[7] ^= 1;
  assert.equal(guard.admit('k', now - (12_345 % 7), flipped), 'fresh');
  assert.equal(guard.admit('k', now - (12_345 % 7) + 2 ** 32, base), 'fresh');
  assert.equal(guard.admit('k2', now - (12_345 % 7), base), 'fresh');
  assert.equal(guard.size, 150_003);
  // Levels of 131,072, 131,072 and 262,144 slots, each opened when the others were half full.
  assert.equal(guard.slotCount, 524_288);
  assert.throws(() => guard.admit('k', now, Buffer.alloc(7)), TypeError);
});

test('guard: at the hard cap it fails closed ("full"), and a replay is still a replay', () => {
  const now = 0;
  const guard = new ReplayGuard({ now: () => now, capacity: 3, clientShare: 1 });
  for (let i = 0; i < 3; i++) assert.equal(guard.admit('a', now, nonce(i)), 'fresh');
  assert.equal(guard.admit('a', now, nonce(7)), 'full');
  assert.equal(guard.admit('a', now, nonce(1)), 'replayed');
  assert.throws(() => guard.check('a', now, nonce(8)), (e: any) => e.httpCode === 503);
  assert.throws(() => guard.check('a', now, nonce(0)), (e: any) => e.httpCode === 400 && e.detail === REPLAY_MESSAGE);
});

test('guard: two threads admitting the same 20,000 envelopes at once: each is fresh exactly once', async () => {
  const memory = createReplayTable(200_000);
  const start = new SharedArrayBuffer(4);
  const data = { memory, now: 1_800_000_000_000, count: 70_000, start };
  const url = moduleUrl(import.meta.url, 'support/replay-worker');
  const workers = [startModuleWorker(url, { data }), startModuleWorker(url, { data })];
  await new Promise((r) => setTimeout(r, 300));
  Atomics.store(new Int32Array(start), 0, 1);
  Atomics.notify(new Int32Array(start), 0);
  const [a, b] = (await Promise.all(workers.map((w) => once(w, 'message')))).map(([v]) => v as string[]);
  await Promise.all(workers.map((w) => w.terminate()));
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual([a[i], b[i]].sort(), ['fresh', 'replayed'], `envelope ${i}`);
  }
  const after = new ReplayGuard({ now: () => data.now, memory });
  assert.equal(after.size, 70_000);
  assert.equal(after.slotCount, 262_144, 'a second level opened while both threads admitted');
});

test('guard: one client holds at most its share of the table; others are still admitted', () => {
  let now = 1_000_000;
  const guard = new ReplayGuard({ now: () => now, capacity: 100, clientShare: 0.5 });
  for (let i = 0; i < 50; i++) assert.equal(guard.admit('greedy', now, nonce(i)), 'fresh');
  assert.equal(guard.admit('greedy', now, nonce(200)), 'full', 'over its share');
  assert.equal(guard.admit('greedy', now, nonce(3)), 'replayed', 'a replay is still a replay');
  for (let i = 0; i < 50; i++) assert.equal(guard.admit('other', now, nonce(i)), 'fresh');
  // Once its entries have expired, the client is admitted again, although the sweep cursor has
  // not reached them: expired entries never count against a share.
  now += REPLAY_WINDOW_MS + 1;
  for (let i = 0; i < 50; i++) assert.equal(guard.admit('greedy', now, nonce(i)), 'fresh', `after the window, #${i}`);
});

test('guard: a client under its share of live entries is admitted, whatever the dead entries the sweep has not reached', () => {
  // 60 envelopes/s stamped when sent keep ~7,200 live entries, under the 10,000 share of a
  // 20,000 table; the sweep cursor needs 16,384 admissions (~270 s) per pass over its 65,536
  // slots, so dead entries pile up behind it. Measured before the fix: 31% refused, from 172 s on.
  let now = 1_800_000_000_000;
  const guard = new ReplayGuard({ now: () => now, capacity: 20_000 });
  let refused = 0;
  for (let i = 0; i < 60 * 600; i++) {
    now += 1000 / 60;
    const n = Buffer.alloc(8);
    n.writeUInt32BE(i, 0);
    if (guard.admit('a', Math.floor(now), n) !== 'fresh') refused++;
  }
  assert.equal(refused, 0);
  assert.ok(guard.size <= 60 * 121, `live entries ${guard.size}`);
});

test('guard: a lock held too long makes it unavailable (503), never a pass; a dead holder is repaired', () => {
  const now = 1_000_000;
  const guard = new ReplayGuard({ now: () => now, capacity: 10 });
  assert.equal(guard.admit('a', now, nonce(1)), 'fresh');
  const header = new Int32Array(guard.memory.header);
  Atomics.store(header, 0, 77); // thread 76 holds the lock and never lets go
  assert.equal(guard.admit('a', now, nonce(2)), 'unavailable');
  assert.throws(() => guard.check('a', now, nonce(2)), (e: any) => e.httpCode === 503);
  assert.equal(guard.recover(5), false, 'another thread: nothing to repair');
  assert.equal(guard.recover(76), true);
  assert.equal(guard.admit('a', now, nonce(1)), 'replayed', 'entries survive the repair');
  assert.equal(guard.admit('a', now, nonce(2)), 'fresh');
});

test('guard: memory follows the traffic: a table for 1,000,000 entries starts with 131,072 slots and opens the next level only when the open ones are half full', () => {
  const now = 1_800_000_000_000;
  const guard = new ReplayGuard({ now: () => now });
  assert.equal(guard.slotCount, 131_072);
  for (let i = 0; i < 65_536; i++) guard.admit('a', now, Buffer.from([i >> 8, i & 255, 1, 2, 3, 4, 5, 6]));
  assert.equal(guard.slotCount, 131_072);
  guard.admit('a', now, Buffer.from([255, 255, 9, 2, 3, 4, 5, 6]));
  assert.equal(guard.slotCount, 262_144, 'the 65,537th entry opens a second level');
});

test('levels: they cover the reserved slots exactly, each slot in one level, each level twice the one before (from the second)', () => {
  const l = levelsOf(2 ** 21, 2 ** 14);
  assert.equal(l.count, 8);
  let next = 0;
  for (let k = 0; k < l.count; k++) {
    assert.equal(levelBase(l, k), next);
    assert.equal(levelSize(l, k), k === 0 ? 2 ** 14 : 2 ** (13 + k));
    for (const slot of [next, next + levelSize(l, k) - 1]) assert.equal(levelOf(l, slot), k);
    next += levelSize(l, k);
    assert.equal(openSlots(l, k + 1), next);
  }
  assert.equal(next, 2 ** 21);
  const small = levelsOf(16, 2 ** 14);
  assert.deepEqual([small.count, levelSize(small, 0), openSlots(small, 1)], [1, 16, 16]);
});

test('guard: at a steady rate the levels open for the live entries of the window, not for expired ones, and stop opening once the window is full', () => {
  // 2,000 envelopes/s: ~240,000 live entries, which levels of 16K+16K+...+256K slots hold at half load.
  let now = 1_800_000_000_000;
  const guard = new ReplayGuard({ now: () => now });
  const n = Buffer.alloc(8);
  let atWarmUp = 0;
  for (let s = 0; s < 600; s++) {
    for (let i = 0; i < 2_000; i++) {
      now += 0.5;
      n.writeUInt32BE(s, 0);
      n.writeUInt32BE(i, 4);
      assert.equal(guard.admit('a', Math.floor(now), n), 'fresh');
    }
    if (s === 150) atWarmUp = guard.slotCount;
  }
  assert.equal(atWarmUp, 524_288);
  assert.equal(guard.slotCount, atWarmUp, 'no level opened after the window filled');
});

test('guard: a repair after a dead holder keeps the entries of every level', () => {
  const now = 1_800_000_000_000;
  const guard = new ReplayGuard({ now: () => now, capacity: 300_000 });
  const nonceOf = (i: number) => Buffer.from([0, 0, i >> 16, (i >> 8) & 255, i & 255, 9, 9, 9]);
  for (let i = 0; i < 140_000; i++) assert.equal(guard.admit('k', now, nonceOf(i)), 'fresh');
  assert.equal(guard.slotCount, 524_288, 'three levels open: 131,072 + 131,072 + 262,144 slots');
  Atomics.store(new Int32Array(guard.memory.header), 0, 42); // thread 41 held the lock and died
  assert.equal(guard.admit('k', now, nonceOf(1)), 'unavailable', 'while the holder is gone, fail closed');
  assert.equal(guard.recover(41), true);
  for (let i = 0; i < 140_000; i++) assert.equal(guard.admit('k', now, nonceOf(i)), 'replayed', `entry ${i} survived`);
  assert.equal(guard.admit('k', now, nonceOf(140_000)), 'fresh');
  assert.equal(guard.size, 140_001);
  assert.equal(guard.slotCount, 524_288);
});

test('operator: the same v2 envelope sent twice is rejected the second time with 400 client_error', async () => {
  const op = await fixtureOperator();
  try {
    const secret = Buffer.from(CLIENTS.special.secret, 'base64');
    const envelope = encodeRequestEnvelope(secret, { nowMs: op.clock.now(), payload: JSON.stringify({ email: 'user@example.com' }) });
    const send = (body: Buffer | string, binary = false) =>
      op.send({
        method: 'POST',
        url: '/v2/token/generate',
        headers: { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': binary ? 'application/octet-stream' : 'text/plain' },
        payload: body,
      });
    assert.equal((await send(envelope.toString('base64'))).statusCode, 200);
    for (const replay of [await send(envelope.toString('base64')), await send(envelope, true)]) {
      assert.equal(replay.statusCode, 400);
      assert.deepEqual(replay.json(), { status: 'client_error', message: REPLAY_MESSAGE });
    }
    // A new envelope for the same payload (fresh nonce) is served.
    const again = encodeRequestEnvelope(secret, { nowMs: op.clock.now(), payload: JSON.stringify({ email: 'user@example.com' }) });
    assert.equal((await send(again.toString('base64'))).statusCode, 200);
    // After the window the replay fails the freshness check instead (spec §3.1).
    op.clock.set(op.clock.now() + REPLAY_WINDOW_MS);
    const late = await send(envelope.toString('base64'));
    assert.equal(late.statusCode, 400);
    assert.equal(late.json().message, 'Invalid timestamp: Request too old or client time drift.');
  } finally {
    await op.close();
  }
});

test('operator: a request the envelope layer rejects does not burn its nonce', async () => {
  const op = await fixtureOperator();
  try {
    const secret = Buffer.from(CLIENTS.special.secret, 'base64');
    const envelope = encodeRequestEnvelope(secret, { nowMs: op.clock.now(), nonce: nonce(3), payload: JSON.stringify({ email: 'user@example.com' }) });
    const tampered = Buffer.from(envelope);
    tampered[20] ^= 1;
    const bad = await op.send({
      method: 'POST',
      url: '/v2/token/generate',
      headers: { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'text/plain' },
      payload: tampered.toString('base64'),
    });
    assert.equal(bad.statusCode, 400, 'a tampered copy fails decryption');
    const right = await op.send({
      method: 'POST',
      url: '/v2/token/generate',
      headers: { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'text/plain' },
      payload: envelope.toString('base64'),
    });
    assert.equal(right.statusCode, 200);
  } finally {
    await op.close();
  }
});

test('guard: the tags follow the slots through inserts, sweeps, shifts and a repair; every entry of the window stays a replay', () => {
  let now = 1_000_000;
  const memory = createReplayTable(40_000, 1);
  const guard = new ReplayGuard({ now: () => now, memory });
  const slots = new Uint32Array(memory.slots);
  const tags = new Uint8Array(memory.tags);
  const consistent = () => {
    for (let i = 0; i < tags.length; i++) assert.equal(tags[i] !== 0, slots[i * 5 + 4] !== 0, `slot ${i}`);
  };
  const admitted: [number, Buffer][] = [];
  // 60,000 envelopes at 200 a second: the first ones leave the window, and the sweep removes them
  // with backward shifts in chains that later entries share.
  for (let i = 0; i < 60_000; i++) {
    now += 5;
    const n = Buffer.alloc(8);
    n.writeUInt32BE(i, 0);
    n.writeUInt32BE(i * 2654435761 >>> 0, 4);
    assert.equal(guard.admit('a', now, n), 'fresh');
    admitted.push([now, n]);
  }
  consistent();
  const live = admitted.filter(([ts]) => ts > now - REPLAY_WINDOW_MS);
  for (const [ts, n] of live) assert.equal(guard.admit('a', ts, n), 'replayed');
  // A repair rebuilds the slots and the tags from the entries.
  new Int32Array(memory.header)[0] = 99;
  assert.equal(guard.recover(98), true);
  consistent();
  for (const [ts, n] of live) assert.equal(guard.admit('a', ts, n), 'replayed');
});
