/**
 * First module of every thread started by `startModuleWorker`: lowers the thread's priority when
 * asked (before anything else loads, so the module's own start-up already yields to the threads
 * serving requests), then imports the thread's module.
 *
 * "/proc/thread-self" links to "<pid>/task/<tid>" for the thread that reads it, and on Linux
 * setpriority(PRIO_PROCESS, tid) applies to that one thread. Without /proc nothing changes.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import type { ThreadStart } from './module-worker.ts';

const start = workerData as ThreadStart;
if (start.nice !== undefined) {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, start.nice);
  } catch {
    // no /proc: the thread keeps the process's priority
  }
}
await import(start.module);
