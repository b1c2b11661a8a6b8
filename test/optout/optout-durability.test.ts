import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOperatorStore } from './operator-store.ts';
import { runCrashScenario } from './optout-durability.ts';

test('fs backend: every acknowledged opt-out survives SIGKILL mid-stream and a restart', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'optout-crash-'));
  try {
    const keys = await writeOperatorStore(dir);
    await writeFile(join(dir, 'optout-config.json'), JSON.stringify({ optout_publish_interval_ms: 500 }));
    const { acked, locations } = await runCrashScenario({ dataDir: dir, key: keys.optout });
    assert.ok(acked >= 200);
    assert.ok(locations.every((l) => /\/blobs\/optout\/delta\/.*\?exp=[0-9]+&sig=[0-9a-f]{64}$/.test(l)), 'fs links are signed loopback URLs');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
