import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixturesDir, localConfigPath } from '../support/shared.ts';
import { loadOperatorConfig } from '../../src/operator/config/config-layers.ts';
import { buildCloudKeySnapshot, cloudKeyStore } from '../../src/operator/stores/cloud-key-store.ts';
import { StoreFormatError } from '../../src/operator/stores/store-json.ts';
import { LocalStoreSource } from '../../src/operator/stores/store-source.ts';

const SECRET = Buffer.alloc(32, 9).toString('base64');

test('upstream local layout: the fixture keys load with their siteId', async () => {
  const config = loadOperatorConfig({ files: [localConfigPath] });
  const source = new LocalStoreSource(fixturesDir, config.metadataPaths);
  const meta = await source.metadata('cloud_encryption_keys');
  const snap = await cloudKeyStore.load(meta, source, 5);
  assert.equal(snap.byId.get(1)?.siteId, 999);
  assert.equal(snap.byId.get(4)?.siteId, 123);
  assert.equal(snap.byId.get(1)?.secret.length, 32);
  assert.equal(cloudKeyStore.version!(meta, 5), (meta as { version: number }).version, 'file layout keeps its version');
});

test('inline keys from Core: version is the poll time, site_id accepted too', async () => {
  const meta = { cloud_encryption_keys: [{ id: 3, site_id: 10, activates: 1, created: 1, secret: SECRET }] };
  assert.equal(cloudKeyStore.version!(meta, 1234), 1234);
  const snap = await cloudKeyStore.load(meta, new LocalStoreSource(fixturesDir, {}), 1234);
  assert.equal(snap.version, 1234);
  assert.deepEqual(snap.byId.get(3)?.secret, Buffer.alloc(32, 9));
});

test('a key whose secret is not 32 bytes of base64 fails the load, naming the field only', () => {
  assert.throws(() => buildCloudKeySnapshot([{ id: 1, siteId: 1, activates: 1, secret: 'c2hvcnQ=' }], 1), (e: unknown) => e instanceof StoreFormatError && e.message === 'cloud_encryption_keys[0].secret: expected 32 bytes of base64');
  assert.throws(() => buildCloudKeySnapshot([{ id: 1, activates: 1, secret: SECRET }], 1), StoreFormatError);
});
