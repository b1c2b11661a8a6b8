/** A thread admitting envelopes into a shared replay table (replay-guard.test.ts). */
import { parentPort } from 'node:worker_threads';
import { ReplayGuard } from '../../../src/operator/http/replay-guard.ts';
import type { ReplayTableMemory } from '../../../src/operator/http/replay-table.ts';
import { threadData } from '../../../src/operator/threads/module-worker.ts';

const { memory, now, count, start } = threadData<{ memory: ReplayTableMemory; now: number; count: number; start: number }>();
const guard = new ReplayGuard({ now: () => now, memory });
const nonce = Buffer.alloc(8);
const verdicts: string[] = [];
// Wait for the go word so that both threads run at once.
const go = new Int32Array(start as unknown as SharedArrayBuffer);
Atomics.wait(go, 0, 0);
for (let i = 0; i < count; i++) {
  nonce.writeUInt32BE(i, 0);
  nonce.writeUInt32BE(i ^ 0x5bd1e995, 4);
  verdicts.push(guard.admit(`client-${i % 3}`, now - (i % 5), nonce));
}
parentPort?.postMessage(verdicts);
