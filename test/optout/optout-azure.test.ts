/** The OptOut service on the Azure Blob backend, against a real Azurite. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadStores } from '../../src/cli/stack/dataset-upload.ts';
import { startOptOutService } from '../../src/optout/optout-service.ts';
import { writeOperatorStore } from './operator-store.ts';
import { runCrashScenario } from './optout-durability.ts';
import { startAzurite, type Azurite } from '../support/azurite.ts';

let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite?.stop();
});

test('azure backend: acknowledged opt-outs survive SIGKILL; refresh links are SAS URLs on the emulator', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'optout-azure-'));
  try {
    const keys = await writeOperatorStore(dir);
    // With --storage azure the operator keys are read from Core's container, not the data dir.
    await uploadStores(dir, azurite.connectionString, 'crash-core');
    await writeFile(join(dir, 'optout-config.json'), JSON.stringify({ optout_publish_interval_ms: 500, optout_blob_container: 'optout-test', core_blob_container: 'crash-core' }));
    const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
    const { acked, locations } = await runCrashScenario({ dataDir: dir, key: keys.optout, args: ['--storage', 'azure'], env, acksBeforeKill: 100 });
    assert.ok(acked >= 100);
    assert.ok(locations.length > 0);
    for (const l of locations) {
      assert.ok(l.startsWith(`${azurite.blobEndpoint}/optout-test/optout/delta/`), l);
      assert.match(new URL(l).searchParams.get('sp') ?? '', /^r$/, 'read-only SAS');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('azure backend: operator keys come from Core\'s container, and a new version there replaces them', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'optout-azure-keys-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString };
  const first = await writeOperatorStore(dir, 1);
  await uploadStores(dir, azurite.connectionString, 'keys-core');
  // The data dir then holds different keys: only the container's may count.
  const local = await writeOperatorStore(dir, 5);
  await writeFile(join(dir, 'optout-config.json'), JSON.stringify({ optout_blob_container: 'keys-optout', auth_refresh_ms: 100 }));
  const service = await startOptOutService({ dataDir: dir, storage: 'azure', coreContainer: 'keys-core', env, logger: false });
  t.after(() => service.close());
  const refresh = (key: string) => fetch(`${service.url}/optout/refresh`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
  assert.equal(await refresh(first.operator), 200);
  assert.equal(await refresh(local.operator), 401, 'keys in the data directory are not used with storage=azure');

  // A revocation written to the container (new version without the old keys) reaches OptOut.
  const second = await writeOperatorStore(dir, 2);
  await uploadStores(dir, azurite.connectionString, 'keys-core');
  let status = 0;
  for (let i = 0; i < 100 && status !== 401; i++) {
    status = await refresh(first.operator);
    if (status !== 401) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.equal(status, 401, 'the replaced key is refused after the next reload');
  assert.equal(await refresh(second.operator), 200);
});
