import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore, type FsBlobLayout } from '../../src/storage/fs-blob-store.ts';
import { BlobPathError } from '../../src/storage/blob-path.ts';
import { runBlobStoreContract } from './blob-store.contract.ts';
import { serveLoopbackStore } from './loopback-store.ts';

function maker(layout: FsBlobLayout) {
  return async () => {
    const root = await mkdtemp(join(tmpdir(), `fs-blob-${layout}-`));
    const served = await serveLoopbackStore((signer) => new FsBlobStore({ root, layout, ...signer }));
    return {
      store: served.store,
      root,
      close: async () => {
        await served.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  };
}

runBlobStoreContract('fs', maker('nested'));
// The flat layout is how Core, OptOut and the admin commands see a data set directory.
runBlobStoreContract('fs (flat data-set layout)', maker('flat'));

test('fs: put leaves no temp files behind and keeps blobs under root/blobs', async () => {
  const { store, root, close } = await maker('nested')();
  try {
    await store.put('a/b.dat', Buffer.from('x'));
    await store.put('a/b.dat', Buffer.from('y'));
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.deepEqual(await readdir(join(root, 'blobs', 'a')), ['b.dat']);
  } finally {
    await close();
  }
});

test('fs flat: blobs are the files under root; temp uploads are hidden and not writable as blobs', async () => {
  const { store, root, close } = await maker('flat')();
  try {
    await store.put('stores/salts/metadata.json', Buffer.from('{}'));
    assert.equal(await readFile(join(root, 'stores', 'salts', 'metadata.json'), 'utf8'), '{}');
    assert.deepEqual(await readdir(join(root, '.uploads')), []);
    assert.deepEqual(await store.list(''), ['stores/salts/metadata.json']);
    assert.deepEqual(await store.list('.up'), []);
    await assert.rejects(store.put('.uploads/x.tmp', Buffer.from('x')), BlobPathError);
    assert.equal(await store.get('.uploads/x.tmp'), undefined);
    await store.delete('.uploads/x.tmp');
  } finally {
    await close();
  }
});

test('fs: a store opened without signing options refuses to sign links', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fs-blob-nosign-'));
  try {
    const store = new FsBlobStore({ root, layout: 'flat' });
    await store.put('a.dat', Buffer.from('x'));
    await assert.rejects(store.signedUrl('a.dat', 60), /without URL signing/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
