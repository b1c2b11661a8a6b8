/**
 * Worker threads on project modules (src/operator/threads/module-worker.ts): a TypeScript module
 * starts in a thread (the test loader inherited there), at the priority asked for, and only that thread's
 * priority changes. Job threads (job-thread.ts) stay off until the process turns them on, except
 * for salt files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { once } from 'node:events';
import { generateSaltFile } from '../../src/core/dataset/salt-csv.ts';
import { encryptCloudFile } from '../../src/protocol/cloud-encrypted-file.ts';
import { parseSaltFileOffThread } from '../../src/operator/stores/salt-parse-thread.ts';
import { decryptCloudFileOffThread } from '../../src/operator/sync/cloud-decrypt-thread.ts';
import { useJobThreads } from '../../src/operator/threads/job-thread.ts';
import { moduleUrl, startModuleWorker } from '../../src/operator/threads/module-worker.ts';

const fixture = moduleUrl(import.meta.url, 'support/priority-worker');

async function report(nice?: number, url = fixture): Promise<{ tid: number; nice: number }> {
  const worker = startModuleWorker(url, nice === undefined ? {} : { nice });
  const [message] = (await once(worker, 'message')) as [{ tid: number; nice: number }];
  await worker.terminate();
  return message;
}

test('moduleUrl keeps the caller extension: .ts from sources, .js from a build', () => {
  assert.equal(moduleUrl('file:///app/src/x/a.ts', 'b').href, 'file:///app/src/x/b.ts');
  assert.equal(moduleUrl('file:///app/dist/x/a.js', 'b').href, 'file:///app/dist/x/b.js');
});

test('a TypeScript module runs in a thread at the nice value asked for; the main thread keeps its own', async () => {
  const before = getPriority();
  const lowered = await report(7);
  assert.notEqual(lowered.tid, process.pid);
  assert.equal(lowered.nice, 7);
  assert.equal((await report()).nice, before, 'without the option a thread keeps the process value');
  assert.equal(getPriority(), before, 'the main thread keeps its priority');
  assert.throws(() => startModuleWorker(fixture, { nice: -1 }), RangeError);
  assert.throws(() => startModuleWorker(fixture, { nice: 2.5 }), RangeError);
});

test('a JavaScript module (a compiled build) starts the same way, without tsx', async () => {
  assert.equal((await report(5, new URL('./support/priority-worker.mjs', import.meta.url))).nice, 5);
});

test('job threads are off until the process turns them on: the caller keeps its input', async () => {
  const key = { id: 7, secret: Buffer.alloc(32, 7) };
  const file = encryptCloudFile(key, Buffer.from('plain store file'));
  const before = Buffer.from(file);
  assert.equal(await decryptCloudFileOffThread(file, [key]), undefined);
  assert.deepEqual(file, before, 'untouched, still the caller\'s');
  useJobThreads();
  try {
    assert.equal((await decryptCloudFileOffThread(file, [key]))?.toString(), 'plain store file');
  } finally {
    useJobThreads(false);
  }
});

test('a salt file is parsed on a job thread even before the process turns them on (the file is let go with the thread)', async () => {
  const file = generateSaltFile(1000, Date.UTC(2026, 0, 1));
  const table = await parseSaltFileOffThread(file, 1000);
  assert.equal(table?.length, 1000);
  assert.equal(file.length, 0, 'the file was moved to the thread');
});
