/**
 * The `BlobStore` contract (docs/architecture.md "Blob storage"), run against every backend in the
 * Hono style: `runBlobStoreContract('fs', makeStore)`. `makeStore` returns a fresh, empty store and
 * a `close` that releases whatever it started (servers, temp dirs, emulators).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../../src/storage/blob-store.ts';

export interface ContractStore {
  store: BlobStore;
  close(): Promise<void>;
}

async function withStore(makeStore: () => Promise<ContractStore>, body: (store: BlobStore) => Promise<void>): Promise<void> {
  const { store, close } = await makeStore();
  try {
    await body(store);
  } finally {
    await close();
  }
}

export function runBlobStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  const t = (title: string, body: (store: BlobStore) => Promise<void>) =>
    test(`${name}: ${title}`, { timeout: 60_000 }, () => withStore(makeStore, body));

  t('get of a missing blob is undefined', async (store) => {
    assert.equal(await store.get('nothing/here.dat'), undefined);
  });

  t('put then get returns the same bytes, binary-safe', async (store) => {
    const data = Buffer.concat([randomBytes(1000), Buffer.from([0, 255, 0])]);
    await store.put('a/b/c.dat', data);
    assert.deepEqual(await store.get('a/b/c.dat'), data);
  });

  t('empty blobs are stored', async (store) => {
    await store.put('empty.dat', Buffer.alloc(0));
    assert.deepEqual(await store.get('empty.dat'), Buffer.alloc(0));
    assert.deepEqual(await store.list('empty'), ['empty.dat']);
  });

  t('put overwrites the whole blob', async (store) => {
    await store.put('x.dat', Buffer.from('a much longer first version'));
    await store.put('x.dat', Buffer.from('short'));
    assert.equal((await store.get('x.dat'))?.toString(), 'short');
  });

  t('list returns sorted paths under a prefix, across folders, and nothing else', async (store) => {
    for (const p of ['optout/delta/b.dat', 'optout/delta/a.dat', 'optout/partition/p.dat', 'other/z.dat', 'optoutx.dat']) {
      await store.put(p, Buffer.from(p));
    }
    assert.deepEqual(await store.list('optout/delta/'), ['optout/delta/a.dat', 'optout/delta/b.dat']);
    assert.deepEqual(await store.list('optout/'), ['optout/delta/a.dat', 'optout/delta/b.dat', 'optout/partition/p.dat']);
    assert.deepEqual(await store.list('optout/delta/a'), ['optout/delta/a.dat']);
    assert.deepEqual(await store.list('missing/'), []);
    assert.equal((await store.list('')).length, 5);
  });

  t('delete removes a blob; deleting a missing blob is not an error', async (store) => {
    await store.put('d/one.dat', Buffer.from('1'));
    await store.delete('d/one.dat');
    await store.delete('d/one.dat');
    assert.equal(await store.get('d/one.dat'), undefined);
    assert.deepEqual(await store.list('d/'), []);
  });

  t('invalid paths are refused', async (store) => {
    for (const bad of ['', '/abs.dat', 'a/../b.dat', '..', 'a//b', 'a\\b', 'trailing/']) {
      await assert.rejects(store.put(bad, Buffer.from('x')), `put ${JSON.stringify(bad)}`);
    }
    await assert.rejects(store.list('../'));
  });

  t('concurrent puts of one path leave one complete version', async (store) => {
    const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(64 * 1024, i + 1));
    await Promise.all(versions.map((v) => store.put('race.dat', v)));
    const got = await store.get('race.dat');
    assert.ok(got && versions.some((v) => v.equals(got)), 'blob must equal one of the written versions');
  });

  t('signed URL downloads the blob with a plain GET and no credential', async (store) => {
    const data = randomBytes(4096);
    await store.put('optout/delta/optout-delta-001_2024-01-01T00.00.00Z_0000abcd.dat', data);
    const url = await store.signedUrl('optout/delta/optout-delta-001_2024-01-01T00.00.00Z_0000abcd.dat', 300);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), data);
  });

  t('a tampered signed URL is refused', async (store) => {
    await store.put('secret/one.dat', Buffer.from('one'));
    await store.put('secret/two.dat', Buffer.from('two'));
    const url = await store.signedUrl('secret/one.dat', 300);
    const res = await fetch(url.replace('secret/one.dat', 'secret/two.dat'));
    assert.ok(res.status === 403 || res.status === 401, `status ${res.status}`);
    await res.arrayBuffer();
  });
}
