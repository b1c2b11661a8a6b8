/**
 * Starts a worker thread on one of the project's modules, whether the process runs the
 * TypeScript sources (through tsx, whose loader a new thread does not inherit) or compiled
 * JavaScript. `sibling` names the module next to the caller without its extension; the caller's
 * own extension picks which of the two is meant.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

export function moduleUrl(callerUrl: string, sibling: string): URL {
  return new URL(`./${sibling}${callerUrl.endsWith('.ts') ? '.ts' : '.js'}`, callerUrl);
}

export function startModuleWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  // A thread starts without the TypeScript loader: register tsx in it, then load the module.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true });
}

/**
 * Lowers the calling thread's scheduling priority (nice value, Linux), so its work takes only
 * the CPU that request threads leave. False where threads cannot be told apart (no /proc).
 */
export function lowerThreadPriority(nice: number): boolean {
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>" for the thread that reads it; on Linux
    // setpriority(PRIO_PROCESS, tid) applies to that one thread.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
