/**
 * Parses a large salt file on a thread of its own (salt-parse-worker.ts) at a lower priority, so
 * a snapshot swap costs the threads serving requests almost nothing (issue 6: p99 during a swap).
 * The file's bytes are moved to the thread and the finished table moved back: no copies.
 *
 * The bytes are handed over only once the thread reports ready; if no thread can start, or the
 * bytes cannot be moved, the answer is `undefined` with the bytes untouched, and the caller scans
 * them itself. Errors of the file itself are the same `ProtocolError`s the in-thread scan throws.
 */
import type { Worker } from 'node:worker_threads';
import { ProtocolError, type ProtocolErrorCode } from '../../protocol/errors.ts';
import { moduleUrl, startModuleWorker } from '../threads/module-worker.ts';
import { SaltTable, type SaltTableParts } from './salt-table.ts';

/** The parser thread's nice value: it gets about a tenth of a core that request threads also want. */
const PARSE_NICE = 10;

export interface ParseRequest {
  readonly bytes: Uint8Array;
  readonly expectedCount: number | undefined;
}

export type ParseReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'table'; readonly parts: SaltTableParts }
  | { readonly kind: 'error'; readonly code: ProtocolErrorCode | undefined; readonly message: string };

const WORKER_URL = moduleUrl(import.meta.url, 'salt-parse-worker');

export function parseSaltFileOffThread(bytes: Buffer, expectedCount?: number): Promise<SaltTable | undefined> {
  let worker: Worker;
  try {
    worker = startModuleWorker(WORKER_URL, { nice: PARSE_NICE });
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
    worker.on('message', (reply: ParseReply) => {
      if (reply.kind === 'ready') {
        const request: ParseRequest = { bytes, expectedCount };
        try {
          worker.postMessage(request, [bytes.buffer as ArrayBuffer]);
          handedOver = true;
        } catch {
          settle(() => resolve(undefined)); // not transferable: the caller scans the bytes itself
        }
        return;
      }
      if (reply.kind === 'table') settle(() => resolve(SaltTable.fromParts(reply.parts)));
      else settle(() => reject(reply.code !== undefined ? new ProtocolError(reply.code, reply.message) : new Error(reply.message)));
    });
    // Before the hand-over the bytes are still the caller's to scan; after it they are gone.
    worker.on('error', (err) => settle(() => (handedOver ? reject(err) : resolve(undefined))));
    worker.on('exit', (code) => settle(() => (handedOver ? reject(new Error(`salt parser thread exited (code ${code})`)) : resolve(undefined))));
  });
}
