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

/** A server under test: its process, port and request threads. */
export interface Target {
  readonly pid: number;
  readonly port: number;
  readonly threads: number;
}

export interface LoadSettings {
  readonly tool: LoadTool;
  /** Directory for wrk's pool files. */
  readonly work: string;
  readonly connections: number;
  readonly durationS: number;
  readonly warmupS: number;
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

/** A warm-up and a measured run over one pool of bodies that may be sent more than once (no envelope). */
export async function poolLoad(s: LoadSettings, target: Target, req: Request, bodies: readonly string[]): Promise<Measured> {
  const spec = { ...req, port: target.port, bodies, connections: s.connections, threads: loadThreads(target) };
  await runLoad(s.tool, { ...spec, durationS: s.warmupS }, s.work);
  return measure(target, () => runLoad(s.tool, { ...spec, durationS: s.durationS }, s.work));
}

export type Payloads = (n: number, offset: number) => Iterable<string>;

/**
 * v2 envelope requests, each envelope sent once: a warm-up pool, then a measured pool sized from
 * the warm-up rate (twice it, never below 5k/s: the JIT warms further during the run, and a pool
 * that wrapped around would be answered with fast replay 400s). Returns the measured run and a
 * sample of its bodies for the bare server.
 */
export async function envelopeLoad(
  s: LoadSettings,
  target: Target,
  req: Request & { secret: Buffer },
  payloads: Payloads,
  onMeasuredStart?: () => void,
): Promise<{ result: Measured; sample: string[] }> {
  const spec = { path: req.path, headers: req.headers, port: target.port, connections: s.connections, threads: loadThreads(target) };
  const warm = await runLoad(s.tool, { ...spec, bodies: envelopePool(req.secret, payloads(30_000, 0)), durationS: s.warmupS }, s.work);
  const size = Math.min(1_500_000, Math.ceil(Math.max(warm.rps, 5000) * s.durationS * 2) + 5000);
  const pool = envelopePool(req.secret, payloads(size, 1_000_000));
  onMeasuredStart?.();
  const result = await measure(target, () => runLoad(s.tool, { ...spec, bodies: pool, durationS: s.durationS }, s.work));
  if (result.requests > pool.length) throw new Error(`${req.path}: the pool of ${pool.length} envelopes wrapped around (${result.requests} requests)`);
  return { result, sample: pool.slice(0, 10_000) };
}

/** Closed-loop large requests (identity map) with a warm-up that checks the answer. */
export async function batchLoad(s: LoadSettings, target: Target, spec: Omit<BatchSpec, 'port' | 'durationS'>): Promise<Measured> {
  await runBatchLoad({ ...spec, port: target.port, durationS: s.warmupS });
  return measure(target, () => runBatchLoad({ ...spec, verify: undefined, port: target.port, durationS: s.durationS }));
}
