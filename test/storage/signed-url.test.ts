import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { UrlSigner, verifySignedBlobUrl } from '../../src/storage/signed-url.ts';
import { MemoryBlobStore } from '../../src/storage/memory-blob-store.ts';
import { serveLoopbackStore } from './loopback-store.ts';

test('signed URL carries exp and an HMAC that verifies only for its path, before expiry', () => {
  const secret = randomBytes(32);
  let now = 1_700_000_000_000;
  const signer = new UrlSigner({ baseUrl: 'http://127.0.0.1:9/', secret, now: () => now });
  const url = new URL(signer.sign('optout/delta/a b.dat', 60));
  assert.equal(url.pathname, '/blobs/optout/delta/a%20b.dat');
  const exp = url.searchParams.get('exp') ?? undefined;
  const sig = url.searchParams.get('sig') ?? undefined;
  assert.equal(exp, String(1_700_000_000 + 60));
  assert.ok(signer.verify('optout/delta/a b.dat', exp, sig));
  assert.ok(!signer.verify('optout/delta/other.dat', exp, sig));
  assert.ok(!signer.verify('optout/delta/a b.dat', String(Number(exp) + 1), sig));
  assert.ok(!verifySignedBlobUrl(randomBytes(32), 'optout/delta/a b.dat', exp, sig, now));
  for (const junk of [undefined, '', 'zz', sig?.toUpperCase(), `${sig}00`]) {
    assert.ok(!signer.verify('optout/delta/a b.dat', exp, junk));
  }
  now += 61_000;
  assert.ok(!signer.verify('optout/delta/a b.dat', exp, sig), 'expired');
});

test('download route: 200 for a valid link, 403 once expired or tampered, 404 for a missing blob', async () => {
  let now = 1_700_000_000_000;
  const served = await serveLoopbackStore((s) => new MemoryBlobStore(s), () => now);
  try {
    await served.store.put('f.dat', Buffer.from('hello'));
    const url = await served.store.signedUrl('f.dat', 10);
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'hello');
    const noSig = await fetch(url.replace(/&sig=.*/, ''));
    assert.equal(noSig.status, 403);
    await noSig.arrayBuffer();
    const traversal = await fetch(`${served.baseUrl}/blobs/..%2Ff.dat?exp=1&sig=00`);
    assert.equal(traversal.status, 403);
    await traversal.arrayBuffer();
    await served.store.delete('f.dat');
    const missing = await fetch(url);
    assert.equal(missing.status, 404);
    await missing.arrayBuffer();
    now += 11_000;
    const expired = await fetch(url);
    assert.equal(expired.status, 403);
    await expired.arrayBuffer();
  } finally {
    await served.close();
  }
});
