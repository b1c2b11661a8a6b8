import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorKeyStore } from '../../src/optout/operator-keys.ts';
import { FsBlobStore } from '../../src/storage/fs-blob-store.ts';
import { writeOperatorStore } from './operator-store.ts';

test('operator keys load from DIR/stores/operators (the data set as a flat BlobStore) and reload only when the version grows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'optout-keys-'));
  try {
    const first = await writeOperatorStore(dir, 1);
    const store = new OperatorKeyStore(new FsBlobStore({ root: dir, layout: 'flat' }), '/stores/operators/metadata.json');
    assert.equal(store.isLoaded, false);
    assert.equal(await store.reload(), true);
    assert.equal(store.current().authorize(first.optout, ['OPTOUT'])?.name, 'optout-writer');
    assert.equal(store.current().authorize(first.operator, ['OPTOUT']), undefined);
    assert.equal(await store.reload(), false, 'same version: no reload');
    const second = await writeOperatorStore(dir, 2);
    assert.equal(await store.reload(), true);
    assert.ok(store.current().authorize(second.optout, ['OPTOUT']));
    assert.equal(store.current().authorize(first.optout, ['OPTOUT']), undefined, 'old keys are gone');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a location outside the data directory is refused and the last good keys stay', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'optout-keys-'));
  try {
    const keys = await writeOperatorStore(dir, 1);
    const store = new OperatorKeyStore(new FsBlobStore({ root: dir, layout: 'flat' }), '/stores/operators/metadata.json');
    await store.reload();
    await writeFile(join(dir, 'stores', 'operators', 'metadata.json'), JSON.stringify({ version: 5, operators: { location: '/../../etc/passwd' } }));
    await assert.rejects(store.reload(), /escapes/);
    assert.ok(store.current().authorize(keys.optout, ['OPTOUT']));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
