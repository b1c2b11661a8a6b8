import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { fixturesDir, localConfigPath, loadVectors } from '../support/shared.ts';
import { loadOperatorConfig } from '../../src/operator/config/config-layers.ts';
import { LocalStoreSource, StoreSourceError } from '../../src/operator/stores/store-source.ts';
import { createOperatorStores, storeBindings } from '../../src/operator/stores/operator-stores.ts';
import { StoreRefresher, StoreLoadError } from '../../src/operator/sync/store-refresher.ts';
import { HealthRegistry } from '../../src/operator/metrics/health.ts';
import { OperatorMetrics } from '../../src/operator/metrics/operator-metrics.ts';
import { activeKey, masterKey, refreshKey, selectSiteKey, siteOfKey, defaultKeyset, AmbiguousDefaultKeysetError } from '../../src/operator/stores/key-selection.ts';
import { buildKeysetKeySnapshot, buildKeysetSnapshot } from '../../src/operator/stores/keyset-store.ts';
import { saltLineFor, saltFileAt, areAllSaltsExpired, saltStore } from '../../src/operator/stores/salt-store.ts';
import { buildOptOutSnapshot } from '../../src/operator/stores/optout-store.ts';
import { assertStoresUsable, StoreReadinessError } from '../../src/operator/stores/store-readiness.ts';
import { encodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { StoreFormatError } from '../../src/operator/stores/store-json.ts';

const NOW = Date.UTC(2026, 0, 15);
const silent = pino({ level: 'silent' });

async function loadFixtures(dataDir = fixturesDir, files = [localConfigPath]) {
  const config = loadOperatorConfig({ files });
  const stores = createOperatorStores();
  const health = new HealthRegistry();
  const metrics = new OperatorMetrics(health);
  const source = new LocalStoreSource(dataDir, config.metadataPaths);
  const refresher = new StoreRefresher({ source, bindings: storeBindings(config, stores), now: () => NOW, metrics, health, logger: silent });
  await refresher.loadAll();
  return { config, stores, health, metrics, refresher, source };
}

test('the upstream local fixtures load unchanged with conf/local-config.json', async () => {
  const { stores, health, metrics } = await loadFixtures();
  assert.equal(stores.clients.current().entryCount, 8);
  assert.ok(stores.clients.current().index.lookup('UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo='));
  assert.equal(stores.keysets.current().byId.get(501)?.siteId, 123);
  assert.equal(stores.keysetKeys.current().byId.get(101)?.keysetId, -1);
  assert.equal(stores.sites.current().byId.get(123)?.domainNames.includes('localhost'), true);
  assert.equal(stores.cstgKeypairs.current().bySubscriptionId.get('4WvryDGbR5')?.siteId, 123);
  assert.equal(stores.services.current().byId.get(2)?.roles.has('MAPPER'), true);
  assert.equal(stores.serviceLinks.current().entryCount, 2);
  assert.equal(stores.runtimeConfig.current().identityEnvironment, 'test');
  assert.equal(stores.runtimeConfig.current().lifetimes.identityExpiresAfterSeconds, 3600);
  assert.equal(stores.salts.current().firstLevelSalt, 'fOGY/aRE44peL23i+cE9MkJrzmEeNZZziNZBfq7qqk8=');
  assert.ok(health.isHealthy());
  assert.match(await metrics.registry.metrics(), /uid2_config_store_entry_count\{store="auth",application="uid2-operator"\} 8/);
  assertStoresUsable(stores, NOW);
});

test('salts: the file in force by effective/expires, bucket ids, local_mapping lines', async () => {
  const { stores } = await loadFixtures();
  const salts = stores.salts.current();
  assert.equal(salts.files.length, 2);
  assert.equal(saltFileAt(salts.files, NOW).effective, 1745907348982);
  assert.equal(saltFileAt(salts.files, 1700000000000).effective, 1670796729291);
  const mapping = loadVectors().local_mapping;
  for (const e of mapping.salt_entries) assert.equal(salts.bucketId(e.id), e.bucket_id);
  const flh = Buffer.from('RNzyiMMy106hy8MpBOsHBe+ZZkQR8IbUAG/IC2OrNr4=', 'base64');
  const { entries, line } = saltLineFor(salts, flh, NOW);
  assert.equal(entries.at(line).id, 1000000);
  assert.equal(areAllSaltsExpired(salts, NOW), false);
});

test('salts: an all-expired metadata is detected and startup refuses', async () => {
  const { stores, source } = await loadFixtures();
  const meta = await source.content('/com.uid2.core/test/salts/metadataExpired.json');
  const expired = await saltStore.load(JSON.parse(meta.toString()), source, NOW);
  assert.equal(areAllSaltsExpired(expired, NOW), true);
  stores.salts.swap(expired);
  assert.throws(() => assertStoresUsable(stores, NOW), (e: unknown) => e instanceof StoreReadinessError && /all salts are expired/.test(e.message));
});

test('key selection: active key rules and site fallback to site 2 (spec §8.2)', async () => {
  const { stores } = await loadFixtures();
  const keysets = stores.keysets.current();
  const keys = stores.keysetKeys.current();
  assert.equal(masterKey(keys, NOW)?.id, 101);
  assert.equal(refreshKey(keys, NOW)?.id, 102);
  assert.deepEqual(selectSiteKey(keysets, keys, 123, NOW), { key: keys.byId.get(104), status: 'site_keyset_found' });
  const fallback = selectSiteKey(keysets, keys, 999, NOW);
  assert.equal(fallback.key?.id, 103);
  assert.equal(fallback.status, 'fallback_keyset_found');
  assert.equal(siteOfKey(keysets, keys, 104), 123);
  assert.equal(siteOfKey(keysets, keys, 424242), undefined);
  // before key 101 activates there is no master key
  assert.equal(masterKey(keys, 1687635529000 - 1000), undefined);
  assert.throws(() => assertStoresUsable({ ...stores, keysetKeys: { current: () => buildKeysetKeySnapshot([], 1) } } as never, NOW), /no active master key/);
});

test('activeKey picks the latest activated, unexpired key', () => {
  const secret = Buffer.alloc(32).toString('base64');
  const keys = buildKeysetKeySnapshot([
    { id: 1, keyset_id: 7, created: 0, activates: 100, expires: 1000, secret },
    { id: 2, keyset_id: 7, created: 0, activates: 200, expires: 250, secret },
    { id: 3, keyset_id: 7, created: 0, activates: 300, expires: 1000, secret },
  ], 1);
  assert.equal(activeKey(keys, 7, 150_000)?.id, 1);
  assert.equal(activeKey(keys, 7, 220_000)?.id, 2);
  assert.equal(activeKey(keys, 7, 260_000)?.id, 1, 'key 2 expired');
  assert.equal(activeKey(keys, 7, 350_000)?.id, 3);
  assert.equal(activeKey(keys, 7, 50_000), undefined);
  assert.equal(activeKey(keys, 7, 1_000_000), undefined);
});

test('two enabled default keysets of one site are a data error', () => {
  const keysets = buildKeysetSnapshot([
    { keyset_id: 1, site_id: 9, enabled: true, default: true },
    { keyset_id: 2, site_id: 9, enabled: true, default: true },
  ], 1);
  assert.throws(() => defaultKeyset(keysets, 9), AmbiguousDefaultKeysetError);
});

test('opt-out snapshot: FLH and advertising id maps from 72-byte records', () => {
  const flh = Buffer.alloc(32, 1);
  const adId = Buffer.alloc(32, 2);
  const a = encodeOptOutRecord({ identityHash: flh, advertisingId: adId, timestampS: 2000 });
  const b = encodeOptOutRecord({ identityHash: flh, advertisingId: adId, timestampS: 1000 });
  const zero = encodeOptOutRecord({ identityHash: Buffer.alloc(32, 3), advertisingId: adId, timestampS: 0 });
  const snap = buildOptOutSnapshot([Buffer.concat([a, zero]), b], 5);
  assert.equal(snap.byIdentityHash.get(flh.toString('base64')), 1000);
  assert.equal(snap.byAdvertisingId.get(adId.toString('base64')), 1000);
  assert.equal(snap.byIdentityHash.has(Buffer.alloc(32, 3).toString('base64')), false);
  for (const v of loadVectors().optout_entries) {
    const s = buildOptOutSnapshot([Buffer.from(v.record_hex, 'hex')], 1);
    if (v.expected.timestamp_s > 0) assert.equal(s.byIdentityHash.get(Buffer.from(v.expected.identity_hash_hex, 'hex').toString('base64')), Number(BigInt(v.expected.timestamp_s)), v.id);
  }
  assert.throws(() => buildOptOutSnapshot([Buffer.alloc(71)], 1), StoreFormatError);
});

test('LocalStoreSource refuses locations outside the data directory', async () => {
  const source = new LocalStoreSource(fixturesDir, {});
  await assert.rejects(source.content('/../../../etc/passwd'), StoreSourceError);
  await assert.rejects(source.metadata('salts'), /no salts_metadata_path configured/);
});

test('refresher: reloads only on a higher version, keeps the last good snapshot on failure', async () => {
  const data = mkdtempSync(join(tmpdir(), 'uid2-stores-'));
  try {
    cpSync(fixturesDir, data, { recursive: true });
    const { stores, refresher, metrics, config } = await loadFixtures(data);
    const binding = storeBindings(config, stores).find((b) => b.name === 'sites')!;
    const sitesMeta = join(data, 'com.uid2.core/test/sites/metadata.json');
    const sitesFile = join(data, 'com.uid2.core/test/sites/sites.json');
    const before = stores.sites.current();
    writeFileSync(sitesFile, JSON.stringify([{ id: 200, name: 'new', enabled: true }]));
    assert.equal(await refresher.refresh(binding), 'unchanged', 'same version: not reloaded');
    assert.equal(stores.sites.current(), before);
    writeFileSync(sitesMeta, JSON.stringify({ version: 2, sites: { location: '/com.uid2.core/test/sites/sites.json' } }));
    assert.equal(await refresher.refresh(binding), 'loaded');
    assert.deepEqual([...stores.sites.current().byId.keys()], [200]);
    const good = stores.sites.current();
    writeFileSync(sitesMeta, JSON.stringify({ version: 3, sites: { location: '/com.uid2.core/test/sites/sites.json' } }));
    writeFileSync(sitesFile, '{not json');
    assert.equal(await refresher.refresh(binding), 'failed');
    assert.equal(await refresher.refresh(binding), 'failed');
    assert.equal(stores.sites.current(), good, 'last good snapshot kept');
    const text = await metrics.registry.metrics();
    assert.match(text, /uid2_config_store_refresh_failures_total\{store="site",application="uid2-operator"\} 2/);
    assert.match(text, /uid2_config_store_consecutive_refresh_failures\{store="site",application="uid2-operator"\} 2/);
    assert.match(text, /uid2_config_store_version\{store="site",application="uid2-operator"\} 2/);
    // A poll that succeeds without a newer version still ends the failure streak (§12.4).
    writeFileSync(sitesMeta, JSON.stringify({ version: 2, sites: { location: '/com.uid2.core/test/sites/sites.json' } }));
    assert.equal(await refresher.refresh(binding), 'unchanged');
    assert.match(await metrics.registry.metrics(), /uid2_config_store_consecutive_refresh_failures\{store="site",application="uid2-operator"\} 0/);
    assert.equal(await refresher.refresh(binding), 'unchanged');
    writeFileSync(sitesMeta, '{not json');
    assert.equal(await refresher.refresh(binding), 'failed');
    assert.match(await metrics.registry.metrics(), /uid2_config_store_consecutive_refresh_failures\{store="site",application="uid2-operator"\} 1/, 'the count restarts at 1');
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

test('startup fails with a clear message when a required store cannot load', async () => {
  const data = mkdtempSync(join(tmpdir(), 'uid2-stores-'));
  try {
    cpSync(fixturesDir, data, { recursive: true });
    writeFileSync(join(data, 'com.uid2.core/test/keysets/keysets.json'), '[{"keyset_id":"x"}]');
    await assert.rejects(loadFixtures(data), (e: unknown) => e instanceof StoreLoadError && /store "keysets".*keysets\[0\]\.keyset_id/.test(e.message));
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
