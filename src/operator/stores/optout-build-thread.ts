/**
 * Builds an opt-out index on a job thread (../threads/job-thread.ts, optout-build-worker.ts).
 * Indexing 10M records takes 1.6-2.8 s, and an operator re-indexes whenever the OptOut service lists
 * a new delta: on the event loop, every such refresh held all requests for that long (issue 6).
 *
 * The thread reads the record files where they are and sends back only the slot table. Files
 * are either shared with it (`share`: every file must be backed by a SharedArrayBuffer, as the
 * opt-out sync keeps the files it holds across refreshes) or moved to it and back (`move`: files
 * read for this build alone); the caller then uses the files returned. `undefined` when the job
 * could not be handed over: the caller indexes in this thread.
 */
import { asBuffer, bufferOf, isShared, runJobOnThread, storeMemoryShared } from '../threads/job-thread.ts';
import { moduleUrl } from '../threads/module-worker.ts';
import { OptOutIndex, type OptOutKeyKind, type OptOutTable } from './optout-index.ts';

export interface BuildRequest {
  readonly files: readonly Uint8Array[];
  readonly kind: OptOutKeyKind;
  /** The table comes back in shared memory (`storeMemoryShared`). */
  readonly shared: boolean;
}

export interface BuildResult {
  readonly table: OptOutTable;
  /** The request's files, moved back where they were moved. */
  readonly files: readonly Uint8Array[];
}

const WORKER_URL = moduleUrl(import.meta.url, 'optout-build-worker');

export async function buildOptOutIndexOffThread(
  files: readonly Buffer[],
  kind: OptOutKeyKind,
  mode: 'share' | 'move',
): Promise<{ index: OptOutIndex; files: Buffer[] } | undefined> {
  const moved = files.filter((f) => !isShared(f)).map(bufferOf);
  if (mode === 'share' && moved.length > 0) return undefined;
  // Two files on one buffer cannot be moved one by one.
  if (new Set(moved).size !== moved.length) return undefined;
  const done = await runJobOnThread<BuildRequest, BuildResult>(WORKER_URL, { files, kind, shared: storeMemoryShared() }, moved);
  if (done === undefined) return undefined;
  // Shared files never left: keep the caller's own views of them.
  const back = mode === 'share' ? [...files] : done.result.files.map(asBuffer);
  return { index: new OptOutIndex(back, kind, done.result.table), files: back };
}
