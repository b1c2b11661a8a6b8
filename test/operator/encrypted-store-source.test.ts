/**
 * `EncryptedStoreSource` decrypting on a job thread (src/operator/sync/cloud-decrypt-thread.ts):
 * the same plaintext and the same refusals as decrypting in this thread, for files read by the
 * real local store source.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSaltFile } from '../../src/core/dataset/salt-csv.ts';
import { encryptCloudFile } from '../../src/protocol/cloud-encrypted-file.ts';
import { buildCloudKeySnapshot } from '../../src/operator/stores/cloud-key-store.ts';
import { SnapshotRef } from '../../src/operator/stores/snapshot-ref.ts';
import { LocalStoreSource, StoreSourceError } from '../../src/operator/stores/store-source.ts';
import { decryptCloudFileOffThread } from '../../src/operator/sync/cloud-decrypt-thread.ts';
import { EncryptedStoreSource } from '../../src/operator/sync/encrypted-store-source.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { useJobThreads } from '../../src/operator/threads/job-thread.ts';

// As in a serving operator (startOperator turns them on).
useJobThreads();

const NOW = Date.UTC(2026, 0, 1);

function fixture(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'uid2-encrypted-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secrets = [randomBytes(32), randomBytes(32)];
  const keys = new SnapshotRef(
    buildCloudKeySnapshot(secrets.map((s, i) => ({ id: 10 + i, site_id: 1, activates: 0, secret: s.toString('base64') })), 1),
  );
  const inner = new LocalStoreSource(dir, {});
  const write = (name: string, bytes: Buffer) => writeFileSync(join(dir, name), bytes);
  // Threshold 0: every file through the job thread; the default: small files in this thread.
  const threaded = new EncryptedStoreSource(inner, keys, undefined, 0);
  const local = new EncryptedStoreSource(inner, keys, undefined, Number.MAX_SAFE_INTEGER);
  return { secrets, write, threaded, local, dir, keys };
}

test('a file decrypted on the job thread is the plaintext, with either cloud key, small or large', async (t) => {
  const f = fixture(t);
  const small = Buffer.from('{"keys":[]}');
  const salts = generateSaltFile(60_000, NOW); // ~5 MB: over the default threshold as well
  f.write('small', encryptCloudFile({ id: 11, secret: f.secrets[1] }, small));
  f.write('salts', encryptCloudFile({ id: 10, secret: f.secrets[0] }, salts));
  assert.deepEqual(await f.threaded.content('/small'), small);
  assert.deepEqual(await f.threaded.content('/salts'), salts);
  assert.deepEqual(await f.local.content('/salts'), salts);
  // The thread itself answered (no fallback to this thread). A file with memory of its own is
  // moved to it; a view on Node's shared pool (small files, on Node 24) is copied and left as is.
  const plain = randomBytes(10_000);
  const pooled = encryptCloudFile({ id: 11, secret: f.secrets[1] }, plain);
  assert.ok(pooled.buffer.byteLength > pooled.byteLength, 'Node pools a buffer of this size');
  const own = Buffer.from(new Uint8Array(pooled).buffer);
  assert.deepEqual(await decryptCloudFileOffThread(pooled, [{ id: 11, secret: f.secrets[1] }]), plain);
  assert.notEqual(pooled.buffer.byteLength, 0, 'the pooled file stays');
  assert.deepEqual(await decryptCloudFileOffThread(own, [{ id: 11, secret: f.secrets[1] }]), plain);
  assert.equal(own.buffer.byteLength, 0, 'a file of its own is handed over');
});

test('the job thread refuses what this thread refuses, with the same message', async (t) => {
  const f = fixture(t);
  const plain = generateSaltFile(100, NOW);
  f.write('unknown-key', encryptCloudFile({ id: 99, secret: randomBytes(32) }, plain));
  f.write('wrong-secret', encryptCloudFile({ id: 10, secret: randomBytes(32) }, plain));
  f.write('plaintext', plain);
  f.write('bad-base64', Buffer.from('{"key_id":10,"encrypted_payload":"not base64!"}'));
  for (const name of ['unknown-key', 'wrong-secret', 'plaintext', 'bad-base64']) {
    const expected = await f.local.content(`/${name}`).then(() => assert.fail(`${name} accepted`), (err: unknown) => err);
    assert.ok(expected instanceof StoreSourceError, name);
    await assert.rejects(f.threaded.content(`/${name}`), (err: unknown) => {
      assert.ok(err instanceof StoreSourceError, name);
      assert.equal(err.message, expected.message, name);
      return true;
    });
  }
  const unknown = encryptCloudFile({ id: 99, secret: randomBytes(32) }, plain);
  await assert.rejects(decryptCloudFileOffThread(unknown, [{ id: 10, secret: f.secrets[0] }]), (err: unknown) => isProtocolError(err, 'ERR_UNKNOWN_KEY'));
});

test('an encrypted salt file is decrypted and parsed by one job: the same table, the same refusals', async (t) => {
  const { loadSealedSaltFile, loadSaltFileInThread } = await import('../../src/operator/stores/salt-file-loader.ts');
  const f = fixture(t);
  const plain = generateSaltFile(3000, NOW);
  f.write('salts', encryptCloudFile({ id: 11, secret: f.secrets[1] }, plain));
  f.write('unknown-key', encryptCloudFile({ id: 99, secret: randomBytes(32) }, plain));
  let decrypted = 0;
  const counted = new EncryptedStoreSource(new LocalStoreSource(join(f.dir, ''), {}), f.keys, () => void decrypted++, 0);
  // Threshold 0: through the job thread; the in-thread load of the same plaintext is the reference.
  const sealed = await counted.sealedContent('/salts');
  const table = await loadSealedSaltFile(sealed, 3000, 0);
  assert.equal(sealed.file.buffer.byteLength, 0, 'the encrypted file went to the job thread');
  const reference = await loadSaltFileInThread(Buffer.from(plain), 3000);
  assert.deepEqual([...table], [...reference]);
  assert.equal(decrypted, 1);
  const expected = await counted.content('/unknown-key').then(() => assert.fail('accepted'), (err: unknown) => err as Error);
  await assert.rejects(loadSealedSaltFile(await counted.sealedContent('/unknown-key'), 3000, 0), (err: unknown) => {
    assert.ok(err instanceof StoreSourceError);
    assert.equal(err.message, expected.message);
    return true;
  });
  // Without a thread (threshold above the size) the same happens here.
  assert.deepEqual([...(await loadSealedSaltFile(await counted.sealedContent('/salts'), 3000, Number.MAX_SAFE_INTEGER))], [...reference]);
});
