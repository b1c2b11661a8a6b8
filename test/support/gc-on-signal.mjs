/**
 * Test instrument, preloaded into a service under test (`NODE_OPTIONS=--import=<this file>`, see
 * slow-body-rounds.ts): on SIGUSR2 every isolate of the process (the main thread and each worker
 * thread) runs a full garbage collection, then the main thread prints
 * `gc-on-signal: collected <n> isolate(s)` on stderr. A memory test uses it to tell memory the
 * process holds from garbage V8 has not collected yet (a full collection runs when the old
 * generation or the external memory grows past V8's limits, which an idle service may not reach for
 * a long time). Never loaded in production.
 */
import { BroadcastChannel, isMainThread } from 'node:worker_threads';
import v8 from 'node:v8';
import vm from 'node:vm';

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc');
const channel = new BroadcastChannel('gc-on-signal');
/** How long the main thread waits for the workers' acknowledgements. */
const WORKERS_MS = 500;

if (isMainThread) {
  let acks = 0;
  channel.onmessage = (event) => {
    if (event.data === 'collected') acks++;
  };
  process.on('SIGUSR2', () => {
    acks = 0;
    channel.postMessage('collect');
    setTimeout(() => {
      collect();
      process.stderr.write(`gc-on-signal: collected ${acks + 1} isolate(s)\n`);
    }, WORKERS_MS);
  });
} else {
  channel.onmessage = (event) => {
    if (event.data !== 'collect') return;
    collect();
    channel.postMessage('collected');
  };
}
// Never what keeps a process (or a worker) alive.
channel.unref();
