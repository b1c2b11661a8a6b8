/**
 * One measured load run against one server process: a warm-up, then the measured run with the
 * server's CPU time (all its threads and children, /proc) read around it. Requests per server
 * CPU-second is the figure that survives a busy shared machine and a saturated load tool; the
 * server's CPU per thread over the run tells whether it was the limit (a server that did not
 * keep its threads busy was waiting for the load tool).
 */
import { envelopePool } from './bench-data.ts';
import { runBatchLoad, type BatchSpec } from './batch-load.ts';
import { runLoad, type LoadResult, type LoadSpec, type LoadTool } from './load-runner.ts';
import { cpuSeconds, machineBusySeconds, ownCpuSeconds } from './process-stats.ts';

export interface Measured extends LoadResult {
  /** Server CPU seconds over the measured run. */
  readonly cpuS: number;
  /** Wall seconds of the measured run. */
  readonly wallS: number;
  /** Request threads of the server. */
  readonly threads: number;
  /**
   * CPU the rest of the machine used meanwhile, in cores: busy CPU (/proc/stat) minus the
   * server's and the benchmark's own (load tool included). Above ~0.1, other work shared the cores.
   */
  readonly otherCores: number;
}

/** A server under test: its process, port and request threads, and how long to warm it up before a measured run. */
export interface Target {
  readonly pid: number;
  readonly port: number;
  readonly threads: number;
  readonly warmupS: number;
}

export interface LoadSettings {
  readonly tool: LoadTool;
  /** Directory for wrk's pool files. */
  readonly work: string;
  readonly connections: number;
  readonly durationS: number;
}

/** Requests per server CPU-second. */
export const perCpuSecond = (m: Measured): number => m.requests / Math.max(1e-9, m.cpuS);

/** Server CPU per request thread over the run (1 = every thread busy all the time). */
export const cpuPerThread = (m: Measured): number => m.cpuS / Math.max(1e-9, m.wallS) / m.threads;

export async function measure(target: Target, run: () => Promise<LoadResult>): Promise<Measured> {
  const cpu0 = cpuSeconds(target.pid);
  const own0 = ownCpuSeconds();
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const result = await run();
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSeconds(target.pid) - cpu0;
  const other = machineBusySeconds() - busy0 - cpuS - (ownCpuSeconds() - own0);
  return { ...result, cpuS, wallS, threads: target.threads, otherCores: Math.max(0, other / wallS) };
}

/** wrk threads for a server of `threads` request threads: as many, at most 2 (this machine's cores). */
const loadThreads = (target: Target) => Math.min(2, target.threads);

type Request = Omit<LoadSpec, 'port' | 'bodies' | 'connections' | 'durationS' | 'threads'>;

/**
 * One server's side of a comparison: `warm()` once, then `run(round, durationS)` for each
 * measured round. The operator and its reference take turns round by round, so a slow phase of
 * a shared machine falls on both.
 */
export interface Side {
  warm(): Promise<void>;
  run(round: number, durationS: number): Promise<Measured>;
}

/** The sum of a side's rounds: counts and times add up; p50 is the mean, p99 the worst round's. */
export function combine(parts: readonly Measured[]): Measured {
  const sum = (f: (m: Measured) => number) => parts.reduce((n, m) => n + f(m), 0);
  const wallS = sum((m) => m.wallS);
  return {
    requests: sum((m) => m.requests),
    errors: sum((m) => m.errors),
    non2xx: sum((m) => m.non2xx),
    rps: sum((m) => m.requests) / wallS,
    p50Ms: sum((m) => m.p50Ms) / parts.length,
    p99Ms: Math.max(...parts.map((m) => m.p99Ms)),
    cpuS: sum((m) => m.cpuS),
    wallS,
    threads: parts[0].threads,
    otherCores: Math.max(...parts.map((m) => m.otherCores)),
  };
}

/** Bodies that may be sent more than once (no envelope), in a loop; a function is asked at the warm-up. */
export function poolSide(s: LoadSettings, target: Target, req: Request, bodies: readonly string[] | (() => readonly string[])): Side {
  const spec = { ...req, port: target.port, connections: s.connections, threads: loadThreads(target) };
  const load = (durationS: number) => runLoad(s.tool, { ...spec, bodies: typeof bodies === 'function' ? bodies() : bodies, durationS }, s.work);
  return {
    warm: async () => void (await load(target.warmupS)),
    run: (_round, durationS) => measure(target, () => load(durationS)),
  };
}

export type Payloads = (n: number, offset: number) => Iterable<string>;

/**
 * v2 envelope requests, each envelope sent once: a warm-up pool, then a pool for the measured
 * rounds sized from the warm-up rate (twice it, never below 30k/s: the JIT and new threads warm
 * further during the run, and a pool that wrapped around would be answered with fast replay
 * 400s), split between the rounds. `sample()` gives bodies for the reference server.
 */
export function envelopeSide(
  s: LoadSettings,
  target: Target,
  req: Request & { secret: Buffer },
  payloads: Payloads,
  o: { rounds: number; onMeasuredStart?: () => void },
): Side & { sample(): string[] } {
  const spec = { path: req.path, headers: req.headers, port: target.port, connections: s.connections, threads: loadThreads(target) };
  let pool: string[] = [];
  return {
    async warm() {
      const warm = await runLoad(s.tool, { ...spec, bodies: envelopePool(req.secret, payloads(30_000 * target.warmupS, 0)), durationS: target.warmupS }, s.work);
      const size = Math.min(1_500_000, Math.ceil(Math.max(warm.rps * 2, 30_000) * s.durationS) + 5000 * o.rounds);
      pool = envelopePool(req.secret, payloads(size, 1_000_000));
    },
    async run(round, durationS) {
      const part = Math.floor(pool.length / o.rounds);
      const bodies = pool.slice(round * part, (round + 1) * part);
      if (round === 0) o.onMeasuredStart?.();
      const result = await measure(target, () => runLoad(s.tool, { ...spec, bodies, durationS }, s.work));
      if (result.requests > bodies.length) throw new Error(`${req.path}: the pool of ${bodies.length} envelopes wrapped around (${result.requests} requests)`);
      return result;
    },
    sample: () => pool.slice(0, 10_000),
  };
}

/** Closed-loop large requests (identity map); the warm-up checks the answer. */
export function batchSide(target: Target, spec: Omit<BatchSpec, 'port' | 'durationS'>): Side {
  return {
    warm: async () => void (await runBatchLoad({ ...spec, port: target.port, durationS: target.warmupS })),
    run: (_round, durationS) => measure(target, () => runBatchLoad({ ...spec, verify: undefined, port: target.port, durationS })),
  };
}

/** Warms one side and measures it over `durationS` in one round (the production-scale runs). */
export async function measureAlone(side: Side, durationS: number): Promise<Measured> {
  await side.warm();
  return side.run(0, durationS);
}

/**
 * The operator against its reference: both warmed, then `rounds` turns of operator then
 * reference, each `durationS / rounds` long; each side's rounds combined.
 */
export async function compareSides(operator: Side, reference: Side, durationS: number, rounds: number): Promise<{ operator: Measured; bare: Measured }> {
  await operator.warm();
  await reference.warm();
  const op: Measured[] = [];
  const ref: Measured[] = [];
  const each = durationS / rounds;
  for (let r = 0; r < rounds; r++) {
    op.push(await operator.run(r, each));
    ref.push(await reference.run(r, each));
  }
  return { operator: combine(op), bare: combine(ref) };
}
