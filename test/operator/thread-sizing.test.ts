/**
 * How an operator sizes its request threads (issue 16): the default count from the CPU quota of
 * its control group, on cgroup v2 and v1 layouts built in a temporary directory
 * (src/operator/threads/thread-count.ts), and each thread's young generation from the process's
 * budget (young-generation.ts).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupCpuLimit, defaultThreadCount } from '../../src/operator/threads/thread-count.ts';
import { YOUNG_GENERATION_BUDGET_MB, YOUNG_GENERATION_MIN_MB, youngGenerationMb } from '../../src/operator/threads/young-generation.ts';

const root = mkdtempSync(join(tmpdir(), 'uid2-cgroup-'));
after(() => rmSync(root, { recursive: true, force: true }));

let layouts = 0;
/** A cgroup tree under a fresh root: `files` maps paths under it to their contents. */
function layout(files: Record<string, string>): string {
  const dir = join(root, String(++layouts));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), `${text}\n`);
  }
  return dir;
}

test('cgroup v2: the lowest cpu.max over the group and its parents, rounded up; "max" is no limit', () => {
  const dir = layout({ 'kubepods/cpu.max': '600000 100000', 'kubepods/pod1/cpu.max': '150000 100000', 'kubepods/pod1/c1/cpu.max': 'max 100000' });
  assert.equal(cgroupCpuLimit({ root: dir, selfCgroup: '0::/kubepods/pod1/c1' }), 2);
  assert.equal(cgroupCpuLimit({ root: dir, selfCgroup: '0::/kubepods' }), 6);
  const unlimited = layout({ 'a/cpu.max': 'max 100000' });
  assert.equal(cgroupCpuLimit({ root: unlimited, selfCgroup: '0::/a' }), undefined);
});

test('cgroup v1: cfs_quota_us / cfs_period_us of the cpu controller, -1 is no limit', () => {
  const dir = layout({
    'cpu,cpuacct/docker/cpu.cfs_quota_us': '400000',
    'cpu,cpuacct/docker/cpu.cfs_period_us': '100000',
    'cpu,cpuacct/docker/ctr/cpu.cfs_quota_us': '-1',
    'cpu,cpuacct/docker/ctr/cpu.cfs_period_us': '100000',
  });
  const selfCgroup = '12:memory:/docker/ctr\n4:cpu,cpuacct:/docker/ctr\n1:name=systemd:/docker/ctr';
  assert.equal(cgroupCpuLimit({ root: dir, selfCgroup }), 4);
  assert.equal(cgroupCpuLimit({ root: dir, selfCgroup: '4:cpu,cpuacct:/other' }), undefined);
});

test('default thread count: the quota where it is lower than the CPUs, never under 1', () => {
  const cpus = availableParallelism();
  const one = layout({ 'g/cpu.max': '50000 100000' });
  assert.equal(defaultThreadCount({ root: one, selfCgroup: '0::/g' }), 1);
  const many = layout({ 'g/cpu.max': `${(cpus + 8) * 100000} 100000` });
  assert.equal(defaultThreadCount({ root: many, selfCgroup: '0::/g' }), cpus);
  assert.equal(defaultThreadCount({ root: layout({}), selfCgroup: '' }), cpus);
});

test('young generation: the process budget shared by its threads, never under the minimum', () => {
  assert.equal(youngGenerationMb(1), YOUNG_GENERATION_BUDGET_MB);
  assert.equal(youngGenerationMb(2), YOUNG_GENERATION_BUDGET_MB / 2);
  for (const threads of [1, 2, 3, 4, 6, 64]) {
    const each = youngGenerationMb(threads);
    assert.ok(each >= YOUNG_GENERATION_MIN_MB, `${threads} threads: ${each} MB`);
    assert.ok(each === YOUNG_GENERATION_MIN_MB || each * threads <= YOUNG_GENERATION_BUDGET_MB, `${threads} threads: ${each} MB each`);
  }
  assert.equal(youngGenerationMb(64), YOUNG_GENERATION_MIN_MB);
});
