/**
 * Every protocol test (the shared vectors included) passes on both paths: once with the native
 * kernels preloaded (UID2_NATIVE=require makes a missing addon fail the run rather than fall
 * back silently) and once with UID2_NATIVE=off. Each run is a child `node --test` over
 * test/protocol with test/native/support/native-preload.ts imported first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, tsLoader } from '../support/shared.ts';
import { skipReason } from './native-support.ts';

const protocolTests = readdirSync(join(repoRoot, 'test', 'protocol'))
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => join('test', 'protocol', f));

/** The parent's env minus NODE_TEST_CONTEXT, which would make the child report to us in binary. */
function childEnv(mode: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, UID2_NATIVE: mode };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

function runProtocolSuite(mode: 'require' | 'off'): { passed: number; failed: number; output: string } {
  const child = spawnSync(
    process.execPath,
    ['--import', tsLoader, '--import', './test/native/support/native-preload.ts', '--test', '--test-reporter=tap', ...protocolTests],
    { cwd: repoRoot, encoding: 'utf8', timeout: 300_000, env: childEnv(mode) },
  );
  const output = `${child.stdout}\n${child.stderr}`;
  const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? NaN);
  assert.equal(child.status, 0, output.slice(-3000));
  return { passed: count('pass'), failed: count('fail'), output };
}

/** What `cryptoKernels()` reports in a child started like the suite runs. */
function kernelsSeenByChild(mode: string): string {
  const probe = "const m = await import('./src/protocol/crypto-kernels.ts'); process.stdout.write(String(m.cryptoKernels()?.version));";
  const child = spawnSync(process.execPath, ['--import', tsLoader, '--import', './test/native/support/native-preload.ts', '--input-type=module', '-e', probe], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 60_000,
    env: childEnv(mode),
  });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout;
}

test('protocol suite passes with the native kernels installed', { skip: skipReason() }, () => {
  assert.match(kernelsSeenByChild('require'), /^uid2-native \d+$/, 'the preload installs the kernels the protocol code sees');
  const run = runProtocolSuite('require');
  assert.equal(run.failed, 0);
  assert.ok(run.passed >= protocolTests.length, `only ${run.passed} tests passed`);
});

test('protocol suite passes with UID2_NATIVE=off (pure-JS fallback)', () => {
  assert.equal(kernelsSeenByChild('off'), 'undefined');
  const run = runProtocolSuite('off');
  assert.equal(run.failed, 0);
  assert.ok(run.passed >= protocolTests.length, `only ${run.passed} tests passed`);
});
