import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { expectTyped, findLeak } from '../../scripts/fuzz/fuzz-target.ts';
import { mutateBytes } from '../../scripts/fuzz/byte-mutator.ts';
import { Prng } from '../../scripts/fuzz/prng.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { repoRoot, tsLoader } from '../support/shared.ts';

test('npm run fuzz (short form): every target, last line "fuzz: N inputs, 0 failures"', () => {
  const run = spawnSync(process.execPath, ['--import', tsLoader, 'scripts/fuzz.ts', '--inputs', '8000', '--seed', '3'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 240_000,
  });
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.at(-1), 'fuzz: 8000 inputs, 0 failures', run.stderr.split('\n').filter((l) => l.startsWith('FAIL')).join('\n'));
  assert.equal(run.status, 0);
  // Every target received inputs.
  const perTarget = /per target: (.*)$/m.exec(run.stderr)?.[1] ?? '';
  for (const entry of perTarget.split(' ')) assert.ok(!/=0\//.test(entry), `target without inputs: ${entry}`);
  assert.ok(perTarget.includes('routes/json='), 'route targets ran');
});

test('fuzz: the same seed replays the same mutations', () => {
  const seed = Buffer.from('0123456789abcdef');
  const a = new Prng(42);
  const b = new Prng(42);
  for (let i = 0; i < 100; i++) assert.deepEqual(mutateBytes(a, seed), mutateBytes(b, seed));
});

test('fuzz oracle: untyped exceptions and leaked internals are failures; typed errors are not', () => {
  assert.equal(expectTyped(() => { throw new ProtocolError('ERR_FORMAT', 'x'); }, [ProtocolError]), undefined);
  assert.match(expectTyped(() => { throw new RangeError('offset out of range'); }, [ProtocolError]) ?? '', /untyped RangeError/);
  assert.ok(findLeak('Error: boom\n    at decode (/work/main/src/protocol/x.ts:12:3)'));
  assert.ok(findLeak('{"message":"ENOENT /opt/app/node_modules/x"}'));
  assert.equal(findLeak('{"status":"client_error","message":"Invalid body: Body is missing."}'), undefined);
});

test('npm run fuzz: a bad --inputs value is refused', () => {
  const run = spawnSync(process.execPath, ['--import', tsLoader, 'scripts/fuzz.ts', '--inputs', 'many'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 2);
});
