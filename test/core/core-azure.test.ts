/**
 * Core with `--storage azure` (a real Azurite): every store, operator key and enclave id is read
 * from the blob container (the data directory keeps only config and the JWT key), links are SAS
 * URLs, admin changes written to the container take effect, encrypted copies are written there.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadStores } from '../../src/cli/stack/dataset-upload.ts';
import { addCloudKey, revokeOperator } from '../../src/core/admin/admin-records.ts';
import { startCore, type CoreService } from '../../src/core/core-service.ts';
import { createDemoDataset, DEMO_SITE_ID, type DemoDataset } from '../../src/core/dataset/index.ts';
import { decryptCloudFile } from '../../src/protocol/cloud-encrypted-file.ts';
import { startAzurite, type Azurite } from '../support/azurite.ts';
import { attest, operatorKeyPair } from './core-harness.ts';

const CONTAINER = 'core-azure-test';
let azurite: Azurite;
let dir: string;
let ds: DemoDataset;
let core: CoreService;

before(async () => {
  azurite = await startAzurite();
  dir = await mkdtemp(join(tmpdir(), 'uid2-core-azure-'));
  ds = await createDemoDataset({ out: dir, buckets: 64 });
  const configPath = join(dir, 'core-config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8'));
  await writeFile(configPath, JSON.stringify({ ...config, maa_server_base_url: 'http://127.0.0.1:9', store_refresh_ms: 3_600_000 }));
  await uploadStores(dir, azurite.connectionString, CONTAINER);
  // Nothing may be read from the data directory's stores any more.
  await rm(join(dir, 'stores'), { recursive: true, force: true });
  core = await startCore({ dataDir: dir, port: 0, host: '127.0.0.1', logger: false, storage: 'azure', azureConnectionString: azurite.connectionString, azureContainer: CONTAINER });
});

after(async () => {
  await core?.close();
  await azurite?.stop();
  await rm(dir, { recursive: true, force: true });
});

const request = { attestation_request: 'AA==', public_key: operatorKeyPair().spkiB64, operator_type: 'private', application_name: 'uid2-operator' };

test('attestation authenticates against the operator keys in the container', async () => {
  const { status, json } = await attest(core.url, ds.operatorKey, request);
  assert.equal(status, 200);
  assert.equal(json.status, 'success');
});

test('metadata links are read-only SAS URLs into the container that download the stored bytes', async () => {
  const res = await fetch(`${core.url}/key/keyset-keys/refresh`, { headers: { authorization: `Bearer ${ds.operatorKey}` } });
  assert.equal(res.status, 200);
  const link = ((await res.json()) as { keyset_keys: { location: string } }).keyset_keys.location;
  assert.ok(link.startsWith(`${azurite.blobEndpoint}/${CONTAINER}/stores/keyset_keys/`), 'a link into the container');
  assert.equal(new URL(link).searchParams.get('sp'), 'r');
  const body = await fetch(link);
  assert.equal(body.status, 200);
  const path = decodeURIComponent(new URL(link).pathname.slice(`/devstoreaccount1/${CONTAINER}/`.length));
  assert.deepEqual(Buffer.from(await body.arrayBuffer()), await core.blobs.get(path));
});

test('Encrypted: true writes the encrypted copy into the container', async () => {
  const key = await addCloudKey(core.blobs, { siteId: DEMO_SITE_ID, activatesS: Math.floor(Date.now() / 1000) - 10 }, Date.now());
  const keys = (await (await fetch(`${core.url}/cloud_encryption_keys/retrieve`, { headers: { authorization: `Bearer ${ds.operatorKey}` } })).json()) as {
    cloud_encryption_keys: Array<{ id: number; secret: string }>;
  };
  const secret = Buffer.from(keys.cloud_encryption_keys.find((k) => k.id === key.id)!.secret, 'base64');
  const res = await fetch(`${core.url}/clients/refresh`, { headers: { authorization: `Bearer ${ds.operatorKey}`, encrypted: 'true' } });
  const link = ((await res.json()) as { client_keys: { location: string } }).client_keys.location;
  assert.ok(link.includes(`/${CONTAINER}/encrypted/${DEMO_SITE_ID}/${key.id}/`), 'the encrypted copy lives in the container');
  const plain = decryptCloudFile(Buffer.from(await (await fetch(link)).arrayBuffer()), (id) => (id === key.id ? secret : undefined));
  assert.ok(Array.isArray(JSON.parse(plain.toString('utf8'))));
});

test('an operator key revoked in the container is refused after the next poll', async () => {
  await revokeOperator(core.blobs, 'Demo operator', Date.now());
  await core.refresh();
  const { status } = await attest(core.url, ds.operatorKey, request);
  assert.equal(status, 401);
});
