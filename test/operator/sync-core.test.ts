/**
 * Attested-mode sync against the real Core and OptOut services, in process (spec operator-spec.md
 * §12, attestation-azure.md §1.5-§1.7): startup loads every store through Core, opt-outs arrive
 * incrementally, rotations are picked up, outages keep the last good data, the stale-data and
 * revoked-key rules exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { rotateKeys, rotateSalts } from '../../src/core/admin/admin-rotation.ts';
import { revokeOperator } from '../../src/core/admin/admin-records.ts';
import { HealthRegistry } from '../../src/operator/metrics/health.ts';
import { OperatorMetrics } from '../../src/operator/metrics/operator-metrics.ts';
import { HttpOptOutWriter } from '../../src/operator/optout/optout-writer.ts';
import { createOperatorStores, storeBindings } from '../../src/operator/stores/operator-stores.ts';
import { createAttestedSync, type AttestedSync } from '../../src/operator/sync/attested-sync.ts';
import { OPTOUT_HEALTH_COMPONENT } from '../../src/operator/sync/optout-sync.ts';
import { startSyncServices, type SyncServices } from './sync-services.ts';

const logger = pino({ level: 'silent' });

interface Harness {
  sync: AttestedSync;
  stores: ReturnType<typeof createOperatorStores>;
  health: HealthRegistry;
  metrics: OperatorMetrics;
  exits: number[];
  clock: { now: number };
}

function harness(services: SyncServices, overrides: Record<string, string | number | boolean> = {}): Harness {
  const config = services.operatorConfig(overrides);
  const stores = createOperatorStores();
  const health = new HealthRegistry();
  const metrics = new OperatorMetrics(health);
  const exits: number[] = [];
  const clock = { now: Date.now() };
  const sync = createAttestedSync(config, { stores, health, metrics, logger, clock: { now: () => clock.now }, exit: (code) => exits.push(code) });
  return { sync, stores, health, metrics, exits, clock };
}

async function metricValue(metrics: OperatorMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as { labels: Record<string, unknown>; value: number }[] | undefined)?.find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value;
}

function bindingOf(h: Harness, services: SyncServices, name: string) {
  return storeBindings(services.operatorConfig(), h.stores).find((b) => b.name === name)!;
}

test('attested sync against Core and OptOut', async (t) => {
  const services = await startSyncServices();
  t.after(() => services.close());
  const h = harness(services);
  t.after(() => h.sync.stop());

  await t.test('startup attests and loads every store through Core', async () => {
    assert.equal(h.health.isHealthy(), false, 'unhealthy before the first load');
    await h.sync.loadAll();
    assert.ok(h.sync.attestation.isAttested());
    assert.ok(h.stores.clients.current().entryCount >= 1);
    assert.ok(h.stores.keysetKeys.current().entryCount >= 4);
    assert.ok(h.stores.salts.isLoaded);
    assert.ok(h.stores.runtimeConfig.isLoaded);
    assert.equal(h.stores.optout.current().entryCount, 0);
    assert.deepEqual(h.health.unhealthyLines(), []);
    assert.ok(h.health.entries().some(([name]) => name === OPTOUT_HEALTH_COMPONENT));
    assert.equal(await metricValue(h.metrics, 'uid2_attestation_attempts_total', { outcome: 'success' }), 1);
  });

  await t.test('an opt-out written to OptOut appears after the next sync; an unchanged listing is not reloaded', async () => {
    const identityHash = createHash('sha256').update('sync-test-identity').digest();
    const advertisingId = createHash('sha256').update('sync-test-uid').digest();
    const writer = new HttpOptOutWriter({ uri: `${services.optout.url}/optout/replicate`, operatorKey: services.dataset.operatorKey, instanceIdPrefix: 'test' });
    await writer.write({ identityHash, advertisingId });
    assert.equal(await h.sync.optOut!.syncOnce(), 'loaded');
    const snapshot = h.stores.optout.current();
    assert.ok(snapshot.byIdentityHash.has(identityHash.toString('base64')));
    assert.ok(snapshot.byAdvertisingId.has(advertisingId.toString('base64')));
    assert.equal(await h.sync.optOut!.syncOnce(), 'unchanged');
    assert.equal(h.stores.optout.current(), snapshot, 'same snapshot object when nothing changed');
  });

  await t.test('key and salt rotations are picked up without restart', async () => {
    const keysBefore = h.stores.keysetKeys.current();
    const saltsBefore = h.stores.salts.current();
    const added = await rotateKeys(services.core.blobs, Date.now() + 1000);
    await rotateSalts(services.core.blobs, 0.5, Date.now() + 2000);
    assert.equal(await h.sync.refresh(bindingOf(h, services, 'keyset_keys')), 'loaded');
    assert.equal(await h.sync.refresh(bindingOf(h, services, 'salts')), 'loaded');
    const keysAfter = h.stores.keysetKeys.current();
    assert.ok(keysAfter.version > keysBefore.version);
    assert.equal(keysAfter.entryCount, keysBefore.entryCount + added.length);
    assert.ok(h.stores.salts.current().version > saltsBefore.version);
    assert.equal(await h.sync.refresh(bindingOf(h, services, 'keyset_keys')), 'unchanged');
  });

  await t.test('Core down: refreshes fail, data and health stay, metrics count; recovery after restart', async () => {
    const keys = h.stores.keysetKeys.current();
    await services.core.close();
    assert.equal(await h.sync.refresh(bindingOf(h, services, 'keyset_keys')), 'failed');
    assert.equal(await h.sync.refresh(bindingOf(h, services, 'keyset_keys')), 'failed');
    assert.equal(h.stores.keysetKeys.current(), keys);
    assert.equal(h.health.isHealthy(), true, 'refresh failures after startup do not affect health (§12.4)');
    assert.equal(await metricValue(h.metrics, 'uid2_config_store_consecutive_refresh_failures', { store: 'keysetkey' }), 2);
    assert.ok((await metricValue(h.metrics, 'uid2_config_store_refresh_failures_total', { store: 'keysetkey' }))! >= 2);
    await services.restartCore();
    assert.equal(await h.sync.refresh(bindingOf(h, services, 'keyset_keys')), 'unchanged');
    assert.equal(await metricValue(h.metrics, 'uid2_config_store_consecutive_refresh_failures', { store: 'keysetkey' }), 0);
  });

  await t.test('a store without a successful refresh for more than 12 h exits(1)', async () => {
    h.clock.now = Date.now() + 11 * 3_600_000;
    assert.equal(h.sync.checkStaleData(), undefined);
    assert.deepEqual(h.exits, []);
    h.clock.now = Date.now() + 13 * 3_600_000;
    assert.match(h.sync.checkStaleData() ?? '', /stale/);
    assert.deepEqual(h.exits, [1]);
    h.clock.now = Date.now();
  });

  await t.test('a revoked operator key makes the next attestation exit(1)', async () => {
    await revokeOperator(services.core.blobs, 'Demo operator', Date.now());
    await services.core.refresh();
    await assert.rejects(h.sync.attestation.attest());
    assert.deepEqual(h.exits, [1, 1]);
  });
});

test('startup fails when Core rejects the operator key', async (t) => {
  const services = await startSyncServices();
  t.after(() => services.close());
  const h = harness(services, { core_api_token: 'UID2-O-L-999-not.a.real.key' });
  await assert.rejects(h.sync.loadAll());
  assert.deepEqual(h.exits, [1]);
  assert.equal(h.stores.clients.isLoaded, false);
});
