/**
 * Opt-out snapshot (spec §10.1, §10.2): first-level hash → opt-out time and base64(advertising
 * id) → earliest opt-out time, built from the 72-byte records of every delta/partition file.
 * Two hash indexes over the record bytes (optout-index.ts) are behaviourally equivalent to upstream's
 * partitions + bloom filter (§10.2) and stay compact at production scale (10M records).
 */
import { OPTOUT_RECORD_SIZE } from '../../protocol/optout-record.ts';
import { OFF_THREAD_MIN_BYTES, isShared } from '../threads/job-thread.ts';
import { buildOptOutIndexOffThread } from './optout-build-thread.ts';
import { LazyOptOutIndex } from './lazy-optout-index.ts';
import { OptOutIndex, type OptOutLookup } from './optout-index.ts';
import type { StoreDefinition, Versioned } from './store-definition.ts';
import { StoreFormatError, asObject, asRecords, fields } from './store-json.ts';

export interface OptOutSnapshot extends Versioned {
  /** base64(FLH) → opt-out time, epoch seconds (earliest across files). */
  readonly byIdentityHash: OptOutLookup;
  /** base64(advertising id) → earliest opt-out time, epoch seconds (spec §4.8). */
  readonly byAdvertisingId: OptOutLookup;
}

/** The files to index: each a whole number of records; empty ones add nothing. */
function recordFiles(files: readonly Buffer[]): Buffer[] {
  files.forEach((bytes, n) => {
    if (bytes.length % OPTOUT_RECORD_SIZE !== 0) {
      throw new StoreFormatError(`opt-out file ${n}: size ${bytes.length} is not a multiple of ${OPTOUT_RECORD_SIZE}`);
    }
  });
  return files.filter((f) => f.length > 0);
}

function snapshotOf(files: readonly Buffer[], byIdentityHash: OptOutIndex, version: number): OptOutSnapshot {
  // The indexes hold record numbers into these buffers.
  const byAdvertisingId = new LazyOptOutIndex(files, 'advertising');
  return Object.freeze({ version, entryCount: byIdentityHash.size, byIdentityHash, byAdvertisingId });
}

/** Builds a snapshot from the bytes of opt-out files (each a concatenation of 72-byte records). */
export function buildOptOutSnapshot(files: readonly Buffer[], version: number): OptOutSnapshot {
  const kept = recordFiles(files);
  return snapshotOf(kept, new OptOutIndex(kept, 'identity'), version);
}

/**
 * `buildOptOutSnapshot` with the identity index built on a job thread once the files are large
 * (optout-build-thread.ts; `mode` says whether they are shared with it or moved, and the snapshot
 * then holds the files moved back). Small sets, or when no thread can take the job, build here.
 */
export async function loadOptOutSnapshot(files: readonly Buffer[], version: number, mode: 'share' | 'move'): Promise<OptOutSnapshot> {
  const kept = recordFiles(files);
  const bytes = kept.reduce((n, f) => n + f.length, 0);
  const built = bytes >= OFF_THREAD_MIN_BYTES ? await buildOptOutIndexOffThread(kept, 'identity', mode) : undefined;
  return built === undefined ? snapshotOf(kept, new OptOutIndex(kept, 'identity'), version) : snapshotOf(built.files, built.index, version);
}

export const EMPTY_OPTOUT: OptOutSnapshot = buildOptOutSnapshot([], 0);

/** Metadata `{"version", "optout_logs": [{"type", "location", ...}]}` (spec §12.2). */
export const optOutStore: StoreDefinition<OptOutSnapshot> = {
  name: 'optout',
  async load(metadata, source) {
    const meta = asObject(metadata, 'optout metadata');
    const version = fields(meta, 'optout metadata').int('version');
    const logs = meta.optout_logs === undefined ? [] : asRecords(meta.optout_logs, 'optout metadata.optout_logs');
    const files = await Promise.all(logs.map((l, i) => source.content(fields(l, `optout_logs[${i}]`).str('location'), { kept: true })));
    // Read for this load alone: moved to the indexing thread and back, or, read into shared
    // memory for request threads, shared with it.
    return loadOptOutSnapshot(files, version, files.every(isShared) ? 'share' : 'move');
  },
};
