/** Worker-thread module for test/operator/module-worker.test.ts: reports its thread id and nice value. */
import { readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';

const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
parentPort?.postMessage({ tid, nice: getPriority(tid) });
