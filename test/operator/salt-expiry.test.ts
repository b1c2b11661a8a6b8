/**
 * Expired salts per request, as upstream (src/operator/sync/salt-expiry-policy.ts;
 * `OperatorShutdownHandler.handleSaltRetrievalResponse`): counted, logged at most every 10 minutes,
 * and exit(1) on the first expired read more than `salts_expired_shutdown_hours` after the first
 * one, unless an unexpired read came in between.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { SaltExpiryPolicy, SALT_EXPIRED_LOG_INTERVAL_MS, isSaltFileExpired } from '../../src/operator/sync/salt-expiry-policy.ts';
import type { SaltSnapshot } from '../../src/operator/stores/salt-store.ts';
import { fixturesDir } from '../support/shared.ts';
import { callV2, fixtureOperator, FIXTURE_NOW } from './support/operator-fixture.ts';

const HOUR = 3_600_000;

function logLines(): { logger: pino.Logger; messages: string[] } {
  const messages: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) messages.push((JSON.parse(l) as { msg: string }).msg);
      done();
    },
  });
  return { logger: pino(stream), messages };
}

/** A snapshot whose one salt file is in force until `expires`. */
function salts(expires: number): SaltSnapshot {
  return { files: [{ effective: 0, expires }] } as unknown as SaltSnapshot;
}

test('the file in force decides: expired when its expiry has passed', () => {
  assert.equal(isSaltFileExpired(salts(1000), 999), false);
  assert.equal(isSaltFileExpired(salts(1000), 1000), true);
});

test('12 h rule exactly as upstream: strictly more than the wait, reset by an unexpired read', () => {
  const exits: number[] = [];
  const { logger, messages } = logLines();
  const registry = new Registry();
  const expiredReads = new Counter({ name: 'expired_reads', help: 'h', registers: [registry] });
  const policy = new SaltExpiryPolicy({ logger, exit: (code) => exits.push(code), shutdownAfterMs: 12 * HOUR, expiredReads });
  const expired = salts(0);
  const t0 = 1_000_000;
  policy.observe(expired, t0);
  policy.observe(expired, t0 + 12 * HOUR);
  assert.deepEqual(exits, [], 'exactly 12 h is not "more than"');
  policy.observe(salts(Infinity), t0 + 12 * HOUR + 1);
  policy.observe(expired, t0 + 12 * HOUR + 2);
  policy.observe(expired, t0 + 24 * HOUR + 2);
  assert.deepEqual(exits, [], 'the unexpired read restarted the timer');
  policy.observe(expired, t0 + 24 * HOUR + 3);
  assert.deepEqual(exits, [1]);
  assert.equal(messages.filter((m) => m === 'salts have been in expired state for too long. shutting down operator').length, 1);
});

test('each expired read is counted; "all salts are expired" is logged at most every 10 minutes', async () => {
  const { logger, messages } = logLines();
  const registry = new Registry();
  const expiredReads = new Counter({ name: 'expired_reads', help: 'h', registers: [registry] });
  const policy = new SaltExpiryPolicy({ logger, exit: () => undefined, shutdownAfterMs: 12 * HOUR, expiredReads });
  for (let i = 0; i < 20; i++) policy.observe(salts(0), 1000 + i * 60_000);
  policy.observe(salts(Infinity), 1000);
  assert.match(await registry.metrics(), /^expired_reads 20$/m);
  // Reads at 0..19 min: logged at 0, then at the first read more than 10 min later (11 min).
  assert.equal(messages.filter((m) => m === 'all salts are expired').length, 2);
  assert.equal(SALT_EXPIRED_LOG_INTERVAL_MS, 10 * 60_000);
});

test('requests that find the salts expired are counted and drive the shutdown; no traffic, no shutdown', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-salts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(fixturesDir, dir, { recursive: true });
  // Every salt file expires an hour after the fixture clock.
  const metaFile = join(dir, 'com.uid2.core', 'test', 'salts', 'metadata.json');
  const meta = JSON.parse(await readFile(metaFile, 'utf8')) as { salts: { expires: number }[] };
  for (const s of meta.salts) s.expires = FIXTURE_NOW + HOUR;
  await writeFile(metaFile, JSON.stringify(meta));
  const exits: string[] = [];
  const { logger, messages } = logLines();
  const op = await fixtureOperator({}, { dataDir: dir, logger, exit: (_code, reason) => exits.push(reason) });
  t.after(() => op.close());

  const generate = () => callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  assert.equal((await generate()).res.statusCode, 200);
  op.clock.set(FIXTURE_NOW + 2 * HOUR);
  assert.equal((await generate()).res.statusCode, 200, 'the operator keeps serving from the last salts');
  await callV2(op, { path: '/v2/identity/buckets', payload: { since_timestamp: '2024-01-01T00:00:00' } });
  assert.match(await op.deps.metrics.registry.metrics(), /^uid2_salts_expired_requests_total\{application="uid2-operator"\} 2$/m);
  assert.equal(messages.filter((m) => m === 'all salts are expired').length, 1);
  op.clock.set(FIXTURE_NOW + 14 * HOUR + 1);
  assert.deepEqual(exits, [], 'time alone does not shut down: the rule runs on requests');
  await generate();
  assert.deepEqual(exits, ['salts expired']);
});
