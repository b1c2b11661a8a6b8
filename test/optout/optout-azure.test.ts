/** The OptOut service on the Azure Blob backend, against a real Azurite. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    await writeFile(join(dir, 'optout-config.json'), JSON.stringify({ optout_publish_interval_ms: 500, optout_blob_container: 'optout-test' }));
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
