import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '../../src/storage/fs-blob-store.ts';
import { runBlobStoreContract } from './blob-store.contract.ts';
import { serveLoopbackStore } from './loopback-store.ts';

async function makeFsStore() {
  const root = await mkdtemp(join(tmpdir(), 'fs-blob-'));
  const served = await serveLoopbackStore((signer) => new FsBlobStore({ root, ...signer }));
  return {
    store: served.store,
    root,
    close: async () => {
      await served.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

runBlobStoreContract('fs', makeFsStore);

test('fs: put leaves no temp files behind and keeps blobs under root/blobs', async () => {
  const { store, root, close } = await makeFsStore();
  try {
    await store.put('a/b.dat', Buffer.from('x'));
    await store.put('a/b.dat', Buffer.from('y'));
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(await readdir(join(root, 'blobs', 'a')), ['b.dat']);
  } finally {
    await close();
  }
});
