/**
 * One large job on a thread of its own (issue 6): work that would hold the event loop for a
 * good fraction of a second (parsing a 90 MB salt file, decrypting a 120 MB encrypted one) runs
 * on a worker thread at a lower priority, and requests only see its result arrive.
 *
 * The protocol is one exchange: the thread reports ready, receives the request (its buffers are
 * moved, not copied), answers with the result (moved back) or with the error it threw. The input
 * is handed over only once the thread is ready, so when no thread can start, or the input
 * cannot be moved, the answer is `undefined` with the input untouched and the caller does the
 * work itself. An error of the job itself comes back as the same `ProtocolError` (code and
 * message) the work throws in this thread; anything else as a plain `Error`.
 */
import { parentPort, type Worker } from 'node:worker_threads';
import { isProtocolError, ProtocolError, type ProtocolErrorCode } from '../../protocol/errors.ts';
import { startModuleWorker } from './module-worker.ts';

/** Inputs from this size on are worth a thread: below it the work takes a few milliseconds. */
export const OFF_THREAD_MIN_BYTES = 4 * 1024 * 1024;

/** The job thread's nice value, the lowest: it runs on what CPU the request threads leave (~1.5% of a core they want). */
const JOB_NICE = 19;

type JobReply<R> =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly result: R }
  | { readonly kind: 'error'; readonly code: ProtocolErrorCode | undefined; readonly message: string };

/** What a job returns: its result and the buffers of it to move back. */
export interface JobResult<R> {
  readonly result: R;
  readonly transfer: readonly ArrayBuffer[];
}

let jobThreadsOn = false;

export interface JobOptions {
  /**
   * Run on a thread even before the process serves (`useJobThreads`): for a job whose input is
   * garbage once it is done (a salt file, which becomes a compact table). Done in the caller's
   * thread, the file would stay resident until a major collection, which a process that has
   * finished loading may not run for a long time; a job thread's memory goes when it ends.
   */
  readonly beforeServing?: boolean;
}

/**
 * Turns job threads on for this process (the operator does once it serves requests; until then
 * every job runs in the caller's thread). Before serving there is nothing to keep responsive, and
 * a thread's start-up (a new isolate and its modules) would only delay readiness: the
 * 10M-record start measured 5.0-5.5 s without threads against 6.2-7.1 s with them.
 */
export function useJobThreads(on = true): void {
  jobThreadsOn = on;
}

/**
 * Runs the job module at `url` (which calls `serveJob`) on `request`, moving `transfer` to it.
 * Resolves `{ result }`, or `undefined` when the job could not be handed over (see above) or job
 * threads are not on (`useJobThreads`).
 */
export function runJobOnThread<Q, R>(url: URL, request: Q, transfer: readonly ArrayBuffer[], options: JobOptions = {}): Promise<{ result: R } | undefined> {
  if (!jobThreadsOn && options.beforeServing !== true) return Promise.resolve(undefined);
  let worker: Worker;
  try {
    worker = startModuleWorker(url, { nice: JOB_NICE });
  } catch {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    let handedOver = false;
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      done();
      void worker.terminate();
    };
    worker.on('message', (reply: JobReply<R>) => {
      if (reply.kind === 'ready') {
        try {
          worker.postMessage(request, [...transfer]);
          handedOver = true;
        } catch {
          settle(() => resolve(undefined)); // not transferable: the caller does the work itself
        }
        return;
      }
      if (reply.kind === 'done') settle(() => resolve({ result: reply.result }));
      else settle(() => reject(reply.code !== undefined ? new ProtocolError(reply.code, reply.message) : new Error(reply.message)));
    });
    // Before the hand-over the input is still the caller's; after it, it is gone.
    worker.on('error', (err) => settle(() => (handedOver ? reject(err) : resolve(undefined))));
    worker.on('exit', (code) => settle(() => (handedOver ? reject(new Error(`job thread exited (code ${code})`)) : resolve(undefined))));
  });
}

/**
 * The thread side, called once by a job module: reports ready, runs `work` on the one request
 * it receives and answers. Nothing is logged here: the caller reports on its job.
 */
export function serveJob<Q, R>(work: (request: Q) => JobResult<R>, failure: string): void {
  const port = parentPort;
  if (port === null) return;
  port.once('message', (request: Q) => {
    let reply: JobReply<R>;
    let transfer: readonly ArrayBuffer[] = [];
    try {
      const done = work(request);
      reply = { kind: 'done', result: done.result };
      transfer = done.transfer;
    } catch (err) {
      reply = isProtocolError(err) ? { kind: 'error', code: err.code, message: err.message } : { kind: 'error', code: undefined, message: failure };
    }
    try {
      port.postMessage(reply, [...transfer]);
    } catch {
      port.postMessage(reply); // a buffer that cannot be moved (e.g. a small pooled one) is copied
    }
  });
  port.postMessage({ kind: 'ready' } satisfies JobReply<R>);
}

/** A Buffer on the same memory as `view`: what arrives through `postMessage` is a plain Uint8Array. */
export function asBuffer(view: Uint8Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** The buffer behind a view, for a transfer list (moving it moves every view on it). */
export function bufferOf(view: ArrayBufferView): ArrayBuffer {
  return view.buffer as ArrayBuffer;
}

export const isShared = (view: ArrayBufferView): boolean => view.buffer instanceof SharedArrayBuffer;

/** A copy of `bytes` in shared memory, which job threads read in place (no copy, no move). */
export function sharedCopy(bytes: Uint8Array): Buffer {
  const shared = Buffer.from(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

type SharableView = Uint8Array | Int32Array | Uint32Array | Float64Array;

/** The same numbers in shared memory: the view itself when they already are, else a copy. */
export function inSharedMemory<T extends SharableView>(view: T): T {
  if (isShared(view)) return view;
  const Kind = view.constructor as new (buffer: SharedArrayBuffer) => T;
  const copy = new Kind(new SharedArrayBuffer(view.byteLength));
  copy.set(view as never);
  return copy;
}

let storeMemoryIsShared = false;

/**
 * Large store data in shared memory from the start (issue 16): an operator with request threads
 * turns this on before it loads its stores, so files are read, and tables built, straight into
 * `SharedArrayBuffer`s that every thread reads, instead of being copied there afterwards (which
 * left a second copy of a 10M-record opt-out set for the collector).
 */
export function shareStoreMemory(on = true): void {
  storeMemoryIsShared = on;
}

export function storeMemoryShared(): boolean {
  return storeMemoryIsShared;
}

/** The buffers of `views` a job can move: shared ones stay where they are. */
export function movable(views: readonly ArrayBufferView[]): ArrayBuffer[] {
  return views.filter((v) => !isShared(v)).map(bufferOf);
}
