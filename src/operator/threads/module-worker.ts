/**
 * Starts a worker thread on one of the project's modules, whether the process runs the
 * TypeScript sources (through tsx, whose loader a new thread does not inherit) or compiled
 * JavaScript. `sibling` names the module next to the caller without its extension; the caller's
 * own extension picks which of the two is meant.
 *
 * A thread can be started at a lower priority (a higher nice value, Linux). The bootstrap lowers
 * it before anything loads, so the thread's start-up (module loading, and under tsx the loader's
 * own thread, which inherits the value) already yields to the threads serving requests.
 */
import { Worker } from 'node:worker_threads';

export interface ModuleWorkerOptions {
  /** Nice value for the new thread (0..19; only lowering needs no privilege). */
  readonly nice?: number;
}

export function moduleUrl(callerUrl: string, sibling: string): URL {
  return new URL(`./${sibling}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

/**
 * Bootstrap code (CommonJS, as eval'd worker code runs) that sets the running thread's nice value.
 * "/proc/thread-self" links to "<pid>/task/<tid>" for the thread that reads it, and on Linux
 * setpriority(PRIO_PROCESS, tid) applies to that one thread. Without /proc nothing changes.
 */
function nicenessCode(nice: number): string {
  return `try { const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()); if (Number.isInteger(tid) && tid > 0) require('node:os').setPriority(tid, ${nice}); } catch {}`;
}

export function startModuleWorker(url: URL, options: ModuleWorkerOptions = {}): Worker {
  const steps: string[] = [];
  if (options.nice !== undefined) {
    if (!Number.isInteger(options.nice) || options.nice < 0 || options.nice > 19) throw new RangeError('nice must be an integer in 0..19');
    steps.push(nicenessCode(options.nice));
  }
  // A thread starts without the TypeScript loader: register tsx in it first.
  const load = `import(${JSON.stringify(url.href)})`;
  if (url.pathname.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    steps.push(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return ${load}; });`);
  } else {
    steps.push(`${load};`);
  }
  return new Worker(steps.join('\n'), { eval: true });
}
