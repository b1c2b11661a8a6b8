/**
 * Starts a worker thread on one of the project's modules. `moduleUrl` names the module next to
 * the caller without its extension; the caller's own extension picks the compiled `.js` (what
 * production runs from dist/) or the `.ts` source (tests, which preload a TypeScript loader that
 * every thread inherits through its execArgv).
 *
 * A thread can be started at a lower priority (a higher nice value, Linux): its first module
 * (thread-bootstrap.ts) lowers it before the thread's own module loads.
 */
import { Worker, workerData, type ResourceLimits } from 'node:worker_threads';

export interface ModuleWorkerOptions {
  /** Nice value for the new thread (0..19; only lowering needs no privilege). */
  readonly nice?: number;
  /** Data for the thread's module, read there with `threadData()`. */
  readonly data?: unknown;
  /** V8 heap limits of the thread (node:worker_threads `resourceLimits`). */
  readonly resourceLimits?: ResourceLimits;
}

/** What thread-bootstrap.ts receives as its `workerData`. */
export interface ThreadStart {
  readonly module: string;
  readonly nice: number | undefined;
  readonly data: unknown;
}

export function moduleUrl(callerUrl: string, sibling: string): URL {
  return new URL(`./${sibling}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

const BOOTSTRAP = moduleUrl(import.meta.url, 'thread-bootstrap');

export function startModuleWorker(url: URL, options: ModuleWorkerOptions = {}): Worker {
  const { nice } = options;
  if (nice !== undefined && (!Number.isInteger(nice) || nice < 0 || nice > 19)) throw new RangeError('nice must be an integer in 0..19');
  const start: ThreadStart = { module: url.href, nice, data: options.data };
  return new Worker(BOOTSTRAP, { workerData: start, resourceLimits: options.resourceLimits });
}

/** In a thread started by `startModuleWorker`: the `data` it was started with. */
export function threadData<T>(): T {
  return (workerData as ThreadStart | null)?.data as T;
}
