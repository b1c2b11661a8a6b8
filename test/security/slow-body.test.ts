/**
 * Slow-body exhaustion (issue 14 §1) against Core `/attest` and OptOut `/optout/replicate`, each a
 * real child process (`uid2 core`, `uid2 optout`), attacked over real sockets by
 * test/support/slow-body-attack.ts: 400 connections each declaring a 1 MiB body and sending all
 * but its last byte, without a key (401 before a byte is buffered) and with a valid key (the body
 * budget holds four, the rest get 503; the held ones get 408 at the request timeout), and 50
 * connections sending one byte every 5 s. For each: the service answers health checks while
 * attacked, its RSS grows by under 64 MB, every attacking connection is closed within the request
 * timeout (plus Node's 1 s check interval), and RSS is back within 10% of its baseline once the
 * attackers have left and normal traffic resumed (within ~30 s: see `rssAfter`).
 *
 * Baseline: RSS after one warm-up round of each attack and some normal traffic. The first
 * 400-connection burst a process ever sees brings it to its working size (JIT-compiled paths,
 * allocator arenas, V8's old generation), which no later burst adds to; what must never
 * happen is memory held after the attackers leave, which the measured rounds check. The first
 * round's growth is bounded by the same 64 MB check.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoDataset, CORE_CONFIG_FILE, type DemoDataset } from '../../src/core/dataset/index.ts';
import { CONNECTIONS_CHECK_MS } from '../../src/http/server-limits.ts';
import { OPTOUT_CONFIG_FILE } from '../../src/optout/optout-config.ts';
import { LISTENING, spawnService, type ServiceProcess } from '../support/service-process.ts';
import { MIB, readRssBytes, RssSampler, startSlowBodyAttack, type AttackReport, type SlowBodyAttackOptions } from '../support/slow-body-attack.ts';

const TIMEOUT_S = 5;
const LIMITS = { http_request_timeout_seconds: TIMEOUT_S, http_headers_timeout_seconds: TIMEOUT_S };
/** Node looks for expired requests once a second; the rest is scheduling on a shared machine. */
const CLOSED_WITHIN_MS = TIMEOUT_S * 1000 + CONNECTIONS_CHECK_MS + 2000;
const MAX_GROWTH = 64 * MIB;
/**
 * How the attacked processes run, so that RSS shows memory the attack leaves held rather than
 * the allocators' own sizing (both measured on this project's shared 2-core machine):
 * - V8's young generation is held at 2 MiB semispaces: left to size itself, the heap grew by
 *   tens of MiB while busy cores starved the collector (an attack adding 14 MiB, then 32 MiB more
 *   over the ten rounds of health checks that followed);
 * - glibc serves allocations of 8 KiB and up (the 64 KiB socket reads) from mmap, so freed buffers
 *   go back to the system; from its heap they stay cached (Core's heap settled ~30 MiB above idle
 *   over ten identical attacks, then stopped growing: reuse, not a leak).
 * Production runs neither setting; docs/security.md gives the figures with and without.
 */
const MEASURED_ENV = { NODE_OPTIONS: '--max-semi-space-size=2', MALLOC_MMAP_THRESHOLD_: '8192' };

let dir: string;
let ds: DemoDataset;
let core: ServiceProcess;
let optout: ServiceProcess;

async function mergeJson(path: string, extra: Record<string, unknown>): Promise<void> {
  const current = existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>) : {};
  await writeFile(path, JSON.stringify({ ...current, ...extra }));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid2-slow-body-'));
  ds = await createDemoDataset({ out: dir, buckets: 64 });
  // Never reach the real MAA from tests.
  await mergeJson(join(dir, CORE_CONFIG_FILE), { ...LIMITS, maa_server_base_url: 'http://127.0.0.1:9' });
  await mergeJson(join(dir, OPTOUT_CONFIG_FILE), LIMITS);
  [core, optout] = await Promise.all([
    spawnService(['core', '--data', dir, '--port', '0'], LISTENING.core, MEASURED_ENV),
    spawnService(['optout', '--data', dir, '--port', '0'], LISTENING.optout, { LOG_LEVEL: 'info', ...MEASURED_ENV }),
  ]);
});

after(async () => {
  await Promise.all([core?.kill(), optout?.kill()]);
  await rm(dir, { recursive: true, force: true });
});

async function health(svc: ServiceProcess): Promise<number> {
  const res = await fetch(`${svc.url}/ops/healthcheck`);
  await res.arrayBuffer();
  return res.status;
}

/** Normal traffic: what a service sees after the attackers leave (and what lets it collect their garbage). */
async function normalTraffic(svc: ServiceProcess): Promise<void> {
  for (let i = 0; i < 1500; i++) assert.equal(await health(svc), 200);
}

/**
 * RSS once normal traffic has resumed, given up to ~30 s to come back under `limit`: what the
 * attack left is garbage the collector returns on its own schedule (sooner on an idle machine,
 * later when the test suite shares the cores).
 */
async function rssAfter(svc: ServiceProcess, limit: number): Promise<{ rss: number; rounds: number }> {
  let rss = Number.POSITIVE_INFINITY;
  let rounds = 0;
  while (rounds < 10) {
    rounds++;
    await normalTraffic(svc);
    rss = readRssBytes(svc.pid);
    if (rss <= limit) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { rss, rounds };
}

interface Round {
  readonly report: AttackReport;
  readonly healthDuring: number;
  readonly growth: number;
}

async function attackRound(svc: ServiceProcess, options: Omit<SlowBodyAttackOptions, 'url'>): Promise<Round> {
  const baseline = readRssBytes(svc.pid);
  const sampler = new RssSampler(svc.pid);
  const attack = await startSlowBodyAttack({ url: svc.url, ...options });
  try {
    const healthDuring = await health(svc);
    // A generous wait: each connection is held to CLOSED_WITHIN_MS from its own request below.
    const report = await attack.finished(CLOSED_WITHIN_MS + 10_000);
    return { report, healthDuring, growth: sampler.stop() - baseline };
  } finally {
    sampler.stop();
    attack.leave();
  }
}

function assertRound(round: Round, expected: ReadonlySet<string>, label: string): void {
  const { report } = round;
  assert.equal(round.healthDuring, 200, `${label}: health check answered while attacked`);
  assert.equal(report.open, 0, `${label}: ${report.open} attacking connections still open`);
  const late = report.closes.filter((c) => c.openMs > CLOSED_WITHIN_MS);
  assert.deepEqual(late, [], `${label}: connections closed more than ${CLOSED_WITHIN_MS} ms after their request`);
  for (const status of Object.keys(report.statuses)) assert.ok(expected.has(status), `${label}: unexpected answer ${status} (${JSON.stringify(report.statuses)})`);
  assert.ok(round.growth < MAX_GROWTH, `${label}: RSS grew by ${(round.growth / MIB).toFixed(1)} MiB`);
}

interface Scenario {
  readonly label: string;
  readonly options: Omit<SlowBodyAttackOptions, 'url' | 'path'>;
  /** Status codes the attacking connections may see ('none' = closed without an answer). */
  readonly expected: readonly string[];
}

function scenarios(key: string): Scenario[] {
  const auth = { authorization: `Bearer ${key}` };
  return [
    { label: '400 stalled 1 MiB bodies without a key', options: { connections: 400, mode: 'stall' }, expected: ['401', 'none'] },
    { label: '400 stalled 1 MiB bodies with a valid key', options: { connections: 400, mode: 'stall', headers: auth }, expected: ['503', '408', 'none'] },
    { label: '50 bodies at 1 byte every 5 s with a valid key', options: { connections: 50, mode: 'trickle', trickleIntervalMs: 5000, headers: auth }, expected: ['503', '408', 'none'] },
  ];
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

async function survives(t: TestContext, svc: () => ServiceProcess, path: string): Promise<void> {
  const service = svc();
  const all = scenarios(ds.operatorKey);
  const cold = readRssBytes(service.pid);
  // Warm-up: one round of each attack, then normal traffic (see the file comment).
  for (const s of all) assertRound(await attackRound(service, { path, ...s.options }), new Set(s.expected), `warm-up: ${s.label}`);
  await normalTraffic(service);
  t.diagnostic(`RSS cold ${mib(cold)}, after the warm-up rounds ${mib(readRssBytes(service.pid))}`);
  for (const s of all) {
    const baseline = readRssBytes(service.pid);
    const round = await attackRound(service, { path, ...s.options });
    assertRound(round, new Set(s.expected), s.label);
    const { rss: afterRss, rounds } = await rssAfter(service, baseline * 1.1);
    const slowest = Math.max(...round.report.closes.map((c) => c.openMs));
    t.diagnostic(`${s.label}: ${JSON.stringify(round.report.statuses)}, last close ${slowest} ms, RSS baseline ${mib(baseline)}, growth ${mib(round.growth)}, after ${mib(afterRss)} (${rounds} round(s) of normal traffic)`);
    assert.ok(afterRss <= baseline * 1.1, `${s.label}: RSS ${mib(afterRss)} after, baseline ${mib(baseline)}`);
  }
}

test('Core /attest survives slow-body attacks: health answered, bounded memory, every connection closed, memory back after', async (t) => {
  await survives(t, () => core, '/attest');
});

test('OptOut /optout/replicate survives slow-body attacks: health answered, bounded memory, every connection closed, memory back after', async (t) => {
  const b64 = (fill: number) => encodeURIComponent(Buffer.alloc(32, fill).toString('base64'));
  await survives(t, () => optout, `/optout/replicate?identity_hash=${b64(5)}&advertising_id=${b64(6)}`);
});
