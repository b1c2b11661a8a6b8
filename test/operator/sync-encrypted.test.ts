/**
 * Encrypted store files (spec operator-spec.md §12.3) against the real Core, in process: with
 * `encrypted_files=true` the operator sends `Encrypted: true`, loads its site's cloud keys from
 * `/cloud_encryption_keys/retrieve`, and decrypts every `{key_id, encrypted_payload}` file Core
 * links to before parsing it. Without a cloud key for its site it refuses plaintext files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { addCloudKey } from '../../src/core/admin/admin-records.ts';
import { rotateKeys } from '../../src/core/admin/admin-rotation.ts';
import { DEMO_SITE_ID } from '../../src/core/dataset/index.ts';
import { HealthRegistry } from '../../src/operator/metrics/health.ts';
import { OperatorMetrics } from '../../src/operator/metrics/operator-metrics.ts';
import { createOperatorStores, storeBindings } from '../../src/operator/stores/operator-stores.ts';
import { createAttestedSync } from '../../src/operator/sync/attested-sync.ts';
import { StoreLoadError } from '../../src/operator/sync/store-refresher.ts';
import { startSyncServices, type SyncServices } from './sync-services.ts';

const logger = pino({ level: 'silent' });

function encryptedOperator(services: SyncServices) {
  const stores = createOperatorStores();
  const metrics = new OperatorMetrics(new HealthRegistry());
  const sync = createAttestedSync(services.operatorConfig({ encrypted_files: true }), {
    stores,
    health: new HealthRegistry(),
    metrics,
    logger,
    clock: { now: () => Date.now() },
    exit: () => undefined,
  });
  const decryptions = async () => (await metrics.registry.getSingleMetric('uid2_cloud_decryption_runs_total')?.get())?.values[0]?.value ?? 0;
  return { stores, sync, decryptions };
}

test('encrypted_files: a site without a cloud key gets plaintext, which the operator refuses', async (t) => {
  const services = await startSyncServices();
  t.after(() => services.close());
  const op = encryptedOperator(services);
  t.after(() => op.sync.stop());
  await assert.rejects(op.sync.loadAll(), (e: unknown) => e instanceof StoreLoadError && /not \{key_id, encrypted_payload\}/.test(e.message));
});

test('encrypted_files: every store loads from encrypted copies decrypted with the site cloud key', async (t) => {
  const services = await startSyncServices();
  t.after(() => services.close());
  const other = await addCloudKey(services.core.blobs, { siteId: DEMO_SITE_ID + 1 }, Date.now());
  const mine = await addCloudKey(services.core.blobs, { siteId: DEMO_SITE_ID }, Date.now());
  const op = encryptedOperator(services);
  t.after(() => op.sync.stop());
  await op.sync.loadAll();

  assert.deepEqual([...op.stores.cloudKeys.current().byId.keys()], [mine.id], 'Core hands out only the keys of the operator site');
  assert.notEqual(other.id, mine.id);
  assert.ok(op.stores.clients.current().entryCount >= 1);
  assert.ok(op.stores.keysetKeys.current().entryCount >= 4);
  assert.ok(op.stores.salts.isLoaded);
  // clients, keysets, keyset_keys, salts, sites, keypairs, services, service links: one file each.
  assert.ok((await op.decryptions()) >= 4, 'store files were decrypted');

  // What Core linked to is the encrypted copy, not the plaintext file.
  const copies = await services.core.blobs.list(`encrypted/${DEMO_SITE_ID}/${mine.id}/`);
  assert.ok(copies.some((p) => p.includes('stores/keyset_keys/')));
  const copy = JSON.parse((await services.core.blobs.get(copies[0]))!.toString('utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(copy).sort(), ['encrypted_payload', 'key_id']);
  assert.equal(copy.key_id, mine.id);

  // A key rotation written by the admin is decrypted too on the next poll.
  const before = op.stores.keysetKeys.current().version;
  await rotateKeys(services.core.blobs, Date.now());
  const binding = storeBindings(services.operatorConfig({ encrypted_files: true }), op.stores).find((b) => b.name === 'keyset_keys')!;
  assert.equal(await op.sync.refresh(binding), 'loaded');
  assert.ok(op.stores.keysetKeys.current().version > before);
});
