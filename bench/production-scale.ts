/**
 * The operator over production-scale data (2^20 salt buckets, 10M opt-out records; `--quick`:
 * 2^16 and 500k), started as `uid2 operator` runs it, once per thread count:
 * - resident memory of the whole operator (every process it runs, summed; with request threads
 *   it is one process), sampled while it serves generate, the largest sample;
 * - spawn to the first 200 from /ops/healthcheck;
 * - with the default thread count: generate p99 while a rotated salt snapshot is published and
 *   swapped in, against the steady p99, every envelope unique, and the swap run's non-2xx count.
 */
import { join } from 'node:path';
import { generatePayloads, prepareDataset, type BenchDataset } from './bench-data.ts';
import type { BenchChild } from './child-process.ts';
import { envelopeSide, measureAlone, type LoadSettings, type Measured, type Target } from './measured-load.ts';
import { startOperatorProcess } from './operator-cli.ts';
import { rssMb } from './process-stats.ts';
import { OPTOUT_METADATA_PATH, prepareSaltRotation, writeOptOutPartitions } from './prod-data.ts';

export interface ThreadsFigures {
  readonly threads: number;
  readonly rssMb: number;
  readonly startToHealthyS: number;
}

export interface ProductionFigures {
  /** One entry per thread count measured, the default's included. */
  readonly byThreads: ThreadsFigures[];
  readonly defaultThreads: number;
  readonly steady: Measured;
  readonly swap: Measured;
  /** RSS while serving during the swap run (two salt snapshots are briefly held; larger replay table). */
  readonly swapRssMb: number;
  readonly swapped: boolean;
}

/** The swap run's replay table (see measureProduction). */
const SWAP_REPLAY_CAPACITY = 4_000_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const v2Headers = (ds: BenchDataset) => ({ Authorization: `Bearer ${ds.apiKey}`, 'Content-Type': 'text/plain' });

async function isHealthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/ops/healthcheck`)).status === 200;
  } catch {
    return false;
  }
}

async function saltVersion(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const m = /uid2_config_store_version\{[^}]*store="salts?"[^}]*\}\s+(\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
}

/** Starts the operator and waits until it is healthy; the time is from spawn. */
async function startHealthy(ds: BenchDataset, threads: number | undefined, config: Record<string, unknown> = {}): Promise<{ op: BenchChild; startToHealthyS: number }> {
  const started = performance.now();
  const op = await startOperatorProcess({ ds, threads, config: { optout_metadata_path: OPTOUT_METADATA_PATH, salt_refresh_ms: 1000, ...config } });
  while (!(await isHealthy(op.info.port))) await sleep(20);
  return { op, startToHealthyS: (performance.now() - started) / 1000 };
}

/** The largest RSS of `pid` (and its children) sampled every 200 ms while `run` runs. */
async function peakRss<T>(pid: number, run: () => Promise<T>): Promise<{ value: T; rssMb: number }> {
  let peak = rssMb(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 200);
  try {
    const value = await run();
    return { value, rssMb: Math.max(peak, rssMb(pid)) };
  } finally {
    clearInterval(timer);
  }
}

const target = (op: BenchChild, warmupS: number): Target => ({ pid: op.pid, port: op.info.port, threads: op.info.threads, warmupS });

/**
 * Memory and start time at each thread count and at the default one, with the
 * operator's default config; then, at the default thread count, the salt swap. That run's
 * operator gets the throughput runs' larger replay table: two 10 s generate runs at full speed
 * from the benchmark's one client would otherwise fill the client's share of the default table
 * (500,000 envelopes in 120 s) and be answered 503, which is not what the swap run measures.
 */
export async function measureProduction(
  s: LoadSettings,
  warmupS: number,
  dir: string,
  data: { buckets: number; optOuts: number },
  threads: { counts: readonly number[]; default: number },
  log: (m: string) => void,
): Promise<ProductionFigures> {
  const { buckets, optOuts } = data;
  const { counts: threadCounts, default: defaultThreads } = threads;
  log(`production-scale data: ${buckets} buckets, ${optOuts} opt-out entries`);
  const ds = await prepareDataset(join(dir, 'prod'), buckets);
  writeOptOutPartitions(ds.dir, optOuts);
  const gen = (op: BenchChild, offset: number, durationS = s.durationS, onMeasuredStart?: () => void) => {
    const side = envelopeSide(s, target(op, warmupS), { path: '/v2/token/generate', headers: v2Headers(ds), secret: ds.secret }, (n, o) => generatePayloads(n, o + offset), { rounds: 1, onMeasuredStart });
    return measureAlone(side, durationS);
  };

  // Memory while serving a short generate load, at each thread count; the default's started without --threads.
  const byThreads: ThreadsFigures[] = [];
  let probe = 0;
  for (const threads of [...new Set([...threadCounts, defaultThreads])].sort((x, y) => x - y)) {
    const { op, startToHealthyS } = await startHealthy(ds, threads === defaultThreads ? undefined : threads);
    try {
      if (op.info.threads !== threads) throw new Error(`the operator runs ${op.info.threads} threads, expected ${threads}`);
      log(`production scale, ${threads} threads${threads === defaultThreads ? ' (default)' : ''}: healthy in ${startToHealthyS.toFixed(2)} s`);
      const { rssMb: rss } = await peakRss(op.pid, () => gen(op, 20_000_000 * ++probe, Math.min(s.durationS, 5)));
      byThreads.push({ threads, rssMb: rss, startToHealthyS });
    } finally {
      await op.stop();
    }
  }

  // The default thread count: steady p99, then p99 during a salt swap.
  const { op } = await startHealthy(ds, undefined, { replay_guard_capacity: SWAP_REPLAY_CAPACITY });
  try {
    const steady = await gen(op, 0);
    const before = await saltVersion(op.info.metricsPort);
    const publishRotation = prepareSaltRotation(ds.dir, 1 / 365);
    log(`salt swap under load (${op.info.threads} threads)`);
    // Publish the rotation 1 s into the measured run; the operator polls salts every second.
    let published = 0;
    let publishTimer: NodeJS.Timeout | undefined;
    const swapRun = await peakRss(op.pid, () =>
      gen(op, 10_000_000, s.durationS, () => {
        publishTimer = setTimeout(() => (published = publishRotation()), 1000);
      }),
    );
    clearTimeout(publishTimer);
    let swapped = false;
    for (let i = 0; i < 100 && !swapped; i++) {
      swapped = published > before && (await saltVersion(op.info.metricsPort)) === published;
      if (!swapped) await sleep(100);
    }
    return { byThreads, defaultThreads, steady, swap: swapRun.value, swapRssMb: swapRun.rssMb, swapped };
  } finally {
    await op.stop();
  }
}
