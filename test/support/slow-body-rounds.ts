/**
 * Rounds of slow-body attacks against one service process (issue 14 §1; the harness is
 * slow-body-attack.ts): the service answers health checks while attacked, its RSS grows by under
 * 64 MB, every attacking connection is closed within the request timeout (plus Node's 1 s check
 * interval), and RSS is back within 10% of its baseline once the attackers left and normal
 * traffic resumed and the service collected its garbage. Used for Core and OptOut
 * (slow-body.test.ts) and the operator (operator-slow-body.test.ts).
 *
 * Baseline: RSS after one warm-up round of each attack and some normal traffic. The first
 * 400-connection burst a process ever sees brings it to its working size (JIT-compiled paths,
 * allocator arenas, V8's old generation), which no later burst adds to; what must never
 * happen is memory held after the attackers leave, which the measured rounds check. The first
 * round's growth is bounded too, by 96 MB (WARM_UP_MAX_GROWTH).
 */
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONNECTIONS_CHECK_MS } from '../../src/http/server-limits.ts';
import type { ServiceProcess } from './service-process.ts';
import { repoRoot } from './shared.ts';
import { MIB, readRssBytes, RssSampler, startSlowBodyAttack, type AttackReport, type SlowBodyAttackOptions } from './slow-body-attack.ts';

export const TIMEOUT_S = 5;
/** The services' limits in these tests: 5 s for the headers and for the whole request. */
export const LIMITS = { http_request_timeout_seconds: TIMEOUT_S, http_headers_timeout_seconds: TIMEOUT_S };
/** Node looks for expired requests once a second; the rest is scheduling on a shared machine. */
const CLOSED_WITHIN_MS = TIMEOUT_S * 1000 + CONNECTIONS_CHECK_MS + 2000;
const MAX_GROWTH = 64 * MIB;
/**
 * The first round a process sees also takes it to its working size (above): a 2-thread operator's
 * first 400-connection burst measured 58-74 MiB on the shared machine (two isolates warming), so
 * the warm-up round is held to 96 MiB; the measured rounds to 64 MiB.
 */
const WARM_UP_MAX_GROWTH = 96 * MIB;
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
export const MEASURED_ENV = {
  NODE_OPTIONS: `--max-semi-space-size=2 --import=${pathToFileURL(join(repoRoot, 'test', 'support', 'gc-on-signal.mjs')).href}`,
  MALLOC_MMAP_THRESHOLD_: '8192',
};

export interface Scenario {
  readonly label: string;
  readonly options: Omit<SlowBodyAttackOptions, 'url' | 'path'>;
  /** Status codes the attacking connections may see ('none' = closed without an answer). */
  readonly expected: readonly string[];
}

export async function health(svc: ServiceProcess): Promise<number> {
  const res = await fetch(`${svc.url}/ops/healthcheck`);
  await res.arrayBuffer();
  return res.status;
}

/** Normal traffic: what a service sees after the attackers leave (and what lets it collect their garbage). */
async function normalTraffic(svc: ServiceProcess): Promise<void> {
  for (let i = 0; i < 1500; i++) assert.equal(await health(svc), 200);
}

const COLLECTED = /gc-on-signal: collected \d+ isolate/g;

/** Asks every isolate of the service for a full collection (gc-on-signal.mjs) and waits until it ran. */
async function collectGarbage(svc: ServiceProcess): Promise<void> {
  const before = svc.output().match(COLLECTED)?.length ?? 0;
  process.kill(svc.pid, 'SIGUSR2');
  const deadline = Date.now() + 10_000;
  while ((svc.output().match(COLLECTED)?.length ?? 0) === before) {
    assert.ok(Date.now() < deadline, 'the service did not run its collection within 10 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * RSS once normal traffic has resumed and the service collected its garbage, given up to ~30 s to
 * come back under `limit`. What the attack leaves is mostly its connections' read buffers: garbage
 * V8 frees at its next full collection, which runs when the old generation or the external memory
 * passes V8's limits (tens of MiB) and which an idle service may not reach for a long time (Core
 * measured +11 MiB of such buffers before, +0.8 MiB after a collection). So the check is on what
 * the process still holds after a collection; the attack rounds' growth bound (64 MiB) covers
 * what it may carry as garbage until then. `uncollected` is RSS just before the first collection.
 */
async function rssAfter(svc: ServiceProcess, limit: number): Promise<{ rss: number; uncollected: number; rounds: number }> {
  let rss = Number.POSITIVE_INFINITY;
  let uncollected = 0;
  let rounds = 0;
  while (rounds < 10) {
    rounds++;
    await normalTraffic(svc);
    if (rounds === 1) uncollected = readRssBytes(svc.pid);
    await collectGarbage(svc);
    rss = readRssBytes(svc.pid);
    if (rss <= limit) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return { rss, uncollected, rounds };
}

interface Round {
  readonly report: AttackReport;
  readonly healthDuring: number;
  readonly growth: number;
}

/** One attack; its growth is the peak RSS over `from` (default: RSS as the attack starts). */
async function attackRound(svc: ServiceProcess, options: Omit<SlowBodyAttackOptions, 'url'>, from = readRssBytes(svc.pid)): Promise<Round> {
  const sampler = new RssSampler(svc.pid);
  const attack = await startSlowBodyAttack({ url: svc.url, ...options });
  try {
    const healthDuring = await health(svc);
    // A generous wait: each connection is held to CLOSED_WITHIN_MS from its own request below.
    const report = await attack.finished(CLOSED_WITHIN_MS + 10_000);
    return { report, healthDuring, growth: sampler.stop() - from };
  } finally {
    sampler.stop();
    attack.leave();
  }
}

function assertRound(round: Round, expected: ReadonlySet<string>, label: string, maxGrowth = MAX_GROWTH): void {
  const { report } = round;
  assert.equal(round.healthDuring, 200, `${label}: health check answered while attacked`);
  assert.equal(report.open, 0, `${label}: ${report.open} attacking connections still open`);
  const late = report.closes.filter((c) => c.openMs > CLOSED_WITHIN_MS);
  assert.deepEqual(late, [], `${label}: connections closed more than ${CLOSED_WITHIN_MS} ms after their request`);
  for (const status of Object.keys(report.statuses)) assert.ok(expected.has(status), `${label}: unexpected answer ${status} (${JSON.stringify(report.statuses)})`);
  assert.ok(round.growth < maxGrowth, `${label}: RSS grew by ${(round.growth / MIB).toFixed(1)} MiB`);
}


export function scenarios(key: string): Scenario[] {
  const auth = { authorization: `Bearer ${key}` };
  return [
    { label: '400 stalled 1 MiB bodies without a key', options: { connections: 400, mode: 'stall' }, expected: ['401', 'none'] },
    { label: '400 stalled 1 MiB bodies with a valid key', options: { connections: 400, mode: 'stall', headers: auth }, expected: ['503', '408', 'none'] },
    { label: '50 bodies at 1 byte every 5 s with a valid key', options: { connections: 50, mode: 'trickle', trickleIntervalMs: 5000, headers: auth }, expected: ['503', '408', 'none'] },
  ];
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

export async function survives(t: TestContext, service: ServiceProcess, path: string, all: readonly Scenario[]): Promise<void> {
  const cold = readRssBytes(service.pid);
  // Warm-up: one round of each attack, then normal traffic (see the file comment).
  for (const s of all) assertRound(await attackRound(service, { path, ...s.options }), new Set(s.expected), `warm-up: ${s.label}`, WARM_UP_MAX_GROWTH);
  await normalTraffic(service);
  t.diagnostic(`RSS cold ${mib(cold)}, after the warm-up rounds ${mib(readRssBytes(service.pid))}`);
  for (const s of all) {
    // Growth counts from the process as it stands, garbage and all (as it would meet an attack in
    // production); the baseline that RSS must come back to is read, like the RSS after, once the
    // process collected its garbage. Counted from the collected state, growth would also count the
    // memory the attack takes back from the collection (~15-20 MiB for the operator: its growth
    // measured 17-60 MiB from the process as it stood, 36-71 MiB from the collected state, in CI runs).
    const before = readRssBytes(service.pid);
    await collectGarbage(service);
    const baseline = readRssBytes(service.pid);
    const round = await attackRound(service, { path, ...s.options }, before);
    assertRound(round, new Set(s.expected), s.label);
    const { rss: afterRss, uncollected, rounds } = await rssAfter(service, baseline * 1.1);
    const slowest = Math.max(...round.report.closes.map((c) => c.openMs));
    t.diagnostic(
      `${s.label}: ${JSON.stringify(round.report.statuses)}, last close ${slowest} ms, RSS before ${mib(before)}, baseline ${mib(baseline)}, growth ${mib(round.growth)}, ` +
        `after ${mib(afterRss)} (${mib(uncollected)} before collecting; ${rounds} round(s) of normal traffic)`,
    );
    assert.ok(afterRss <= baseline * 1.1, `${s.label}: RSS ${mib(afterRss)} after, baseline ${mib(baseline)}`);
  }
}
