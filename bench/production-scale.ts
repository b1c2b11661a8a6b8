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
import { envelopeLoad, type LoadSettings, type Measured, type Target } from './measured-load.ts';
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
  /** RSS while serving during the swap run (two salt snapshots are briefly held). */
  readonly swapRssMb: number;
  readonly swapped: boolean;
}

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
async function startHealthy(ds: BenchDataset, threads: number | undefined): Promise<{ op: BenchChild; startToHealthyS: number }> {
  const started = performance.now();
  const op = await startOperatorProcess({ ds, threads, config: { optout_metadata_path: OPTOUT_METADATA_PATH, salt_refresh_ms: 1000 } });
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

const target = (op: BenchChild): Target => ({ pid: op.pid, port: op.info.port, threads: op.info.threads });

/** `threadCounts`: the thread counts to measure besides the default. */
export async function measureProduction(s: LoadSettings, dir: string, buckets: number, optOuts: number, threadCounts: readonly number[], log: (m: string) => void): Promise<ProductionFigures> {
  log(`production-scale data: ${buckets} buckets, ${optOuts} opt-out entries`);
  const ds = await prepareDataset(join(dir, 'prod'), buckets);
  writeOptOutPartitions(ds.dir, optOuts);
  const gen = (op: BenchChild, offset: number, settings = s, onMeasuredStart?: () => void) =>
    envelopeLoad(settings, target(op), { path: '/v2/token/generate', headers: v2Headers(ds), secret: ds.secret }, (n, o) => generatePayloads(n, o + offset), onMeasuredStart);

  const byThreads: ThreadsFigures[] = [];
  // The other thread counts: memory while serving a short generate load.
  let probe = 0;
  for (const threads of threadCounts) {
    const { op, startToHealthyS } = await startHealthy(ds, threads);
    try {
      log(`production scale, ${threads} threads: healthy in ${startToHealthyS.toFixed(2)} s`);
      const { rssMb: rss } = await peakRss(op.pid, () => gen(op, 20_000_000 * ++probe, { ...s, durationS: Math.min(s.durationS, 5) }));
      byThreads.push({ threads, rssMb: rss, startToHealthyS });
    } finally {
      await op.stop();
    }
  }

  // The default thread count: memory, steady p99, then p99 during a salt swap.
  const { op, startToHealthyS } = await startHealthy(ds, undefined);
  try {
    const defaultThreads = op.info.threads;
    log(`production scale, default (${defaultThreads} threads): healthy in ${startToHealthyS.toFixed(2)} s`);
    const steadyRun = await peakRss(op.pid, () => gen(op, 0));
    byThreads.push({ threads: defaultThreads, rssMb: steadyRun.rssMb, startToHealthyS });
    const before = await saltVersion(op.info.metricsPort);
    const publishRotation = prepareSaltRotation(ds.dir, 1 / 365);
    log('salt swap under load');
    // Publish the rotation 1 s into the measured run; the operator polls salts every second.
    let published = 0;
    let publishTimer: NodeJS.Timeout | undefined;
    const swapRun = await peakRss(op.pid, () =>
      gen(op, 10_000_000, s, () => {
        publishTimer = setTimeout(() => (published = publishRotation()), 1000);
      }),
    );
    clearTimeout(publishTimer);
    let swapped = false;
    for (let i = 0; i < 100 && !swapped; i++) {
      swapped = published > before && (await saltVersion(op.info.metricsPort)) === published;
      if (!swapped) await sleep(100);
    }
    return { byThreads, defaultThreads, steady: steadyRun.value.result, swap: swapRun.value.result, swapRssMb: swapRun.rssMb, swapped };
  } finally {
    await op.stop();
  }
}
