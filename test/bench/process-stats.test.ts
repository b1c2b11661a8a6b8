/**
 * bench/process-stats.ts: memory and CPU of a process are summed over its descendants (the
 * operator's figures must count every process it runs), read from /proc (Linux).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { childrenOf, cpuSeconds, machineBusySeconds, processTree, residentBytes } from '../../bench/process-stats.ts';

const linux = process.platform === 'linux';

test('a child appears in its parent\'s tree and its memory is added to the parent\'s', { skip: !linux }, async () => {
  // The child holds 64 MB of touched memory until it is killed.
  const child = spawn(process.execPath, ['-e', 'const b = Buffer.alloc(64 * 2 ** 20, 1); process.stdout.write("ready\\n"); setInterval(() => b[0]++, 1000);'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await once(child.stdout!, 'data');
    assert.ok(childrenOf(process.pid).includes(child.pid!));
    assert.ok(processTree(process.pid).includes(child.pid!));
    const own = residentBytes(child.pid)!;
    assert.ok(own > 64 * 2 ** 20, `child RSS ${own}`);
    const tree = residentBytes(process.pid)!;
    assert.ok(tree >= own + 10 * 2 ** 20, `tree RSS ${tree} should hold the child's ${own} and this process's own`);
  } finally {
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
});

test('CPU seconds of a process grow while it works; the machine\'s busy time too', { skip: !linux }, () => {
  const before = cpuSeconds(process.pid);
  const busyBefore = machineBusySeconds();
  const until = performance.now() + 300;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  assert.ok(cpuSeconds(process.pid) - before >= 0.1, 'at least 0.1 s of 0.3 s busy');
  assert.ok(machineBusySeconds() - busyBefore >= 0.1);
});

test('a process that does not exist reads as nothing', { skip: !linux }, () => {
  assert.equal(residentBytes(2 ** 22 + 12345), undefined);
  assert.equal(cpuSeconds(2 ** 22 + 12345), 0);
});
