// Compiled-JavaScript twin of priority-worker.ts (module-worker.test.ts: the non-tsx start path).
import { readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';

const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
parentPort?.postMessage({ tid, nice: getPriority(tid) });
