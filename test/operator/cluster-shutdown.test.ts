/**
 * `uid2 operator --workers 2` stopped while its workers are still starting (src/operator/cluster):
 * a SIGTERM to the primary alone, or to the whole process group (as Ctrl-C or a container
 * runtime may do, so workers die while the primary is still writing to them), ends in a clean
 * exit with one line on stderr: no EPIPE, no stack trace, no death by signal, no orphaned worker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDemoDataset } from '../../src/core/dataset/index.ts';
import { childrenOf } from '../../scripts/soak/process-memory.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'uid2-cluster-stop-'));

before(async () => {
  await createDemoDataset({ out: dir, buckets: 256 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Operator worker pids whose parent is `pid` (from /proc, Linux only like the deployment). */
function workersOf(pid: number): number[] {
  // tsx's esbuild service is a child too: only operator workers count.
  return childrenOf(pid).filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('operator-worker');
    } catch {
      return false; // the process exited while we looked
    }
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Stopped {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  workersSeen: number;
  orphans: boolean;
}

/** Starts the CLI in its own process group, signals it once workers exist but before it listens. */
async function stopDuringStartup(target: 'primary' | 'group'): Promise<Stopped> {
  const args = [join(repoRoot, 'bin/uid2.mjs'), 'operator', '--data', dir, '--config', join(dir, 'operator-config.json'), '--workers', '2', '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'];
  const child = spawn(process.execPath, args, { cwd: repoRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  const pid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
  try {
    // Workers are forked only after the supervisor is set up; a worker needs seconds to be ready.
    let workersSeen = 0;
    for (let i = 0; i < 600 && workersSeen === 0 && child.exitCode === null; i++) {
      workersSeen = workersOf(pid).length;
      if (workersSeen === 0) await sleep(25);
    }
    if (target === 'group') process.kill(-pid, 'SIGTERM');
    else process.kill(pid, 'SIGTERM');
    const [code, signal] = await Promise.race([exited, sleep(30_000).then(() => [null, null] as [null, null])]);
    let orphans = groupAlive(pid);
    for (let i = 0; i < 100 && orphans; i++) {
      await sleep(100);
      orphans = groupAlive(pid);
    }
    return { code, signal, stdout, stderr, workersSeen, orphans };
  } finally {
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
  }
}

function assertGraceful(r: Stopped): void {
  assert.ok(r.workersSeen > 0, 'the signal was sent while workers were starting');
  assert.equal(r.signal, null, `the primary died by ${r.signal}; stderr: ${r.stderr}`);
  assert.notEqual(r.code, null, 'the primary did not exit within 30 s');
  assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at |Unhandled|ERR_IPC/, `no crash output; stderr: ${r.stderr}`);
  assert.equal(r.orphans, false, 'no worker outlives the primary');
}

test('SIGTERM to the primary before it listens stops the workers and exits cleanly', { timeout: 60_000 }, async () => {
  const r = await stopDuringStartup('primary');
  assertGraceful(r);
  assert.doesNotMatch(r.stdout, /listening/);
  assert.match(r.stderr, /^uid2: stopped by SIGTERM before the workers were ready\n$/);
  assert.equal(r.code, 0, 'a stop asked for by a signal is an orderly exit');
});

test('SIGTERM to the whole process group during start-up: no EPIPE, no orphan', { timeout: 60_000 }, async () => {
  const r = await stopDuringStartup('group');
  assertGraceful(r);
  // The workers may die before or after the primary handles its own signal: either way one line.
  assert.match(r.stderr, /^uid2: [^\n]+\n$/);
});
