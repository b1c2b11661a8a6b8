/**
 * Worker threads on project modules (src/operator/threads/module-worker.ts): a TypeScript module
 * starts in a thread (tsx registered there), at the priority asked for, and only that thread's
 * priority changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { once } from 'node:events';
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
