/**
 * The soak's production load (issue 16 §6): the benchmark's load tool (wrk, bench/load-runner.ts)
 * on the token and key routes — generate, refresh and key/sharing in turn — first closed loop to
 * measure the operator's maximum, then open loop at a fixed rate.
 *
 * How the rate is held: wrk2 is not packaged, so bench/wrk-pool.lua paces wrk itself. With
 * BENCH_WRK_RATE set, each request waits for the next slot of a per-thread schedule (one slot
 * every 1000/rate ms, monotonic clock); a slot missed because every connection was busy is sent
 * at once, and a schedule more than 100 ms behind restarts from now (no catch-up burst). The
 * rate held is what wrk counts as answered over the wall time, printed next to the target.
 *
 * Every v2 envelope is sent once and must be fresh (±120 s, spec §3.1), so the run is a chain
 * of wrk segments (30 s by default), each with its own pool stamped with the segment's start
 * time and built during the segment before, in small chunks that leave the event loop to the
 * SDK mix running beside it. Between segments wrk reconnects (a few ms).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { envelopePool, generatePayloads, type BenchDataset } from '../../bench/bench-data.ts';
import { runLoad, type LoadResult } from '../../bench/load-runner.ts';

export interface PacedTarget {
  readonly port: number;
  /** wrk threads (at most the operator's request threads and the machine's cores). */
  readonly loadThreads: number;
  readonly connections: number;
  /** Directory for wrk's pool files. */
  readonly work: string;
}

export interface LoadSource {
  readonly ds: Pick<BenchDataset, 'apiKey' | 'secret'>;
  /** Refresh tokens, sent again and again (a refresh token is not single-use). */
  readonly refreshTokens: readonly string[];
}

export interface PacedResult {
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  /** The worst p99 of the segments, ms. */
  readonly p99Ms: number;
  readonly wallS: number;
  readonly segments: number;
  /** Why the run stopped early (wrk failed, e.g. the operator stopped answering). */
  readonly failure?: string;
}

const ROUTES = ['/v2/token/generate', '/v2/token/refresh', '/v2/key/sharing'] as const;
/** Envelopes that are part of each 3 requests: generate and key/sharing. */
export const ENVELOPE_SHARE = 2 / 3;
const CHUNK = 2000;

const headers = (src: LoadSource) => ({ Authorization: `Bearer ${src.ds.apiKey}`, 'Content-Type': 'text/plain' });

let nextEmail = 0;

/** `n` pool lines ("path\tbody"), the three routes in turn, envelopes stamped `stampMs`; built a chunk per event-loop turn. */
export async function buildPool(src: LoadSource, n: number, stampMs: number): Promise<string[]> {
  const lines: string[] = [];
  for (let start = 0; start < n; start += CHUNK) {
    const count = Math.min(CHUNK, n - start);
    const generate = envelopePool(src.ds.secret, generatePayloads(Math.ceil(count / 3), (nextEmail += count)), stampMs);
    const sharing = envelopePool(src.ds.secret, Array.from({ length: Math.ceil(count / 3) }, () => ''), stampMs);
    for (let i = 0; i < count; i++) {
      const k = start + i;
      const route = ROUTES[k % 3];
      const body = route === '/v2/token/refresh' ? src.refreshTokens[k % src.refreshTokens.length] : (route === '/v2/token/generate' ? generate : sharing)[Math.floor(i / 3)];
      lines.push(`${route}\t${body}`);
    }
    await nextTurn();
  }
  return lines;
}

function run(src: LoadSource, t: PacedTarget, pool: string[], durationS: number, rate?: number): Promise<LoadResult> {
  return runLoad('wrk', { port: t.port, path: ROUTES[0], headers: headers(src), bodies: pool, connections: t.connections, durationS, threads: t.loadThreads, rate }, t.work);
}

/** The operator's closed-loop maximum on the mix: a warm-up, then `seconds` measured. */
export async function calibrate(src: LoadSource, t: PacedTarget, seconds: number): Promise<LoadResult> {
  await run(src, t, await buildPool(src, 60_000, Date.now()), 3);
  // Enough for 30k requests/s, so the pool never wraps around (a replay would be a fast 400).
  return run(src, t, await buildPool(src, 30_000 * seconds, Date.now()), seconds);
}

/** The mix at `rate` requests/s for `durationS`, in segments of `segmentS`. */
export async function runPaced(src: LoadSource, t: PacedTarget, o: { rate: number; durationS: number; segmentS: number; onSegment?: (r: PacedResult) => void }): Promise<PacedResult> {
  const poolSize = (seconds: number) => Math.ceil(o.rate * seconds * 1.1) + 1000;
  let pool = await buildPool(src, poolSize(o.segmentS), Date.now());
  const started = performance.now();
  let total: PacedResult = { requests: 0, errors: 0, non2xx: 0, p99Ms: 0, wallS: 0, segments: 0 };
  for (let elapsed = 0; elapsed < o.durationS; ) {
    const seconds = Math.min(o.segmentS, o.durationS - elapsed);
    const segment = run(src, t, pool, seconds, o.rate);
    // The next segment's pool, stamped with its start, built while this one runs.
    const next = elapsed + seconds < o.durationS ? buildPool(src, poolSize(Math.min(o.segmentS, o.durationS - elapsed - seconds)), Date.now() + seconds * 1000) : Promise.resolve([]);
    const [r] = await Promise.all([segment.catch((err: unknown) => (err instanceof Error ? err : new Error(String(err)))), next.then((p) => (pool = p))]);
    if (r instanceof Error) return { ...total, wallS: (performance.now() - started) / 1000, failure: `segment ${total.segments + 1}: ${r.message}` };
    elapsed += seconds;
    total = {
      requests: total.requests + r.requests,
      errors: total.errors + r.errors,
      non2xx: total.non2xx + r.non2xx,
      p99Ms: Math.max(total.p99Ms, r.p99Ms),
      wallS: (performance.now() - started) / 1000,
      segments: total.segments + 1,
    };
    o.onSegment?.(total);
  }
  return total;
}
