/** Worker-thread module for test/operator/module-worker.test.ts: lowers its own priority and reports it. */
import { readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../../src/operator/threads/module-worker.ts';

const lowered = lowerThreadPriority(7);
const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
parentPort?.postMessage({ lowered, tid, nice: getPriority(tid) });
