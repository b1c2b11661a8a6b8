/**
 * Worker threads on project modules (src/operator/threads/module-worker.ts): a TypeScript module
 * starts in a thread (tsx registered there), and a thread lowers only its own priority.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority } from 'node:os';
import { once } from 'node:events';
import { moduleUrl, startModuleWorker } from '../../src/operator/threads/module-worker.ts';

test('moduleUrl keeps the caller extension: .ts from sources, .js from a build', () => {
  assert.equal(moduleUrl('file:///app/src/x/a.ts', 'b').href, 'file:///app/src/x/b.ts');
  assert.equal(moduleUrl('file:///app/dist/x/a.js', 'b').href, 'file:///app/dist/x/b.js');
});

test('a TypeScript module runs in a thread and lowers that thread only', async () => {
  const before = getPriority();
  const worker = startModuleWorker(moduleUrl(import.meta.url, 'support/priority-worker'));
  const [report] = (await once(worker, 'message')) as [{ lowered: boolean; tid: number; nice: number }];
  await worker.terminate();
  assert.equal(report.lowered, true);
  assert.notEqual(report.tid, process.pid);
  assert.equal(report.nice, 7);
  assert.equal(getPriority(), before, 'the main thread keeps its priority');
});
