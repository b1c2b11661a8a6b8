/**
 * Bad arguments to the raw addon throw TypeError/RangeError, never write outside the bytes they
 * were given, and never crash: the calls run in a child process whose normal exit proves it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';
import { requireKernels, skipReason } from './native-support.ts';

test('bad and random arguments throw and the process survives', { skip: skipReason() }, () => {
  requireKernels();
  const addon = join(repoRoot, 'native', 'build', 'Release', 'uid2_native.node');
  const child = spawnSync(process.execPath, [join(repoRoot, 'test', 'native', 'fixtures', 'bad-arguments.mjs'), addon], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.signal, null, `child died by ${child.signal}: ${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  const summary = JSON.parse(child.stdout) as { threw: number; junkCalls: number; failures: string[] };
  assert.deepEqual(summary.failures, []);
  assert.equal(summary.threw, 44, 'every listed bad call threw');
  assert.equal(summary.junkCalls, 20000);
});
