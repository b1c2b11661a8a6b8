/**
 * Parses a large salt file on a job thread (../threads/job-thread.ts, salt-parse-worker.ts), so
 * a snapshot swap costs the threads serving requests almost nothing (issue 6: p99 during a swap).
 * The file's bytes are moved to the thread and the finished table moved back: no copies.
 * `undefined` (bytes untouched) when the job could not be handed over; errors of the file are
 * the same `ProtocolError`s the in-thread scan throws.
 */
import { bufferOf, runJobOnThread } from '../threads/job-thread.ts';
import { moduleUrl } from '../threads/module-worker.ts';
import { SaltTable, type SaltTableParts } from './salt-table.ts';

export interface ParseRequest {
  readonly bytes: Uint8Array;
  readonly expectedCount: number | undefined;
}

const WORKER_URL = moduleUrl(import.meta.url, 'salt-parse-worker');

export async function parseSaltFileOffThread(bytes: Buffer, expectedCount?: number): Promise<SaltTable | undefined> {
  const request: ParseRequest = { bytes, expectedCount };
  const done = await runJobOnThread<ParseRequest, SaltTableParts>(WORKER_URL, request, [bufferOf(bytes)]);
  return done === undefined ? undefined : SaltTable.fromParts(done.result);
}
