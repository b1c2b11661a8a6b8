/**
 * Housekeeping of the published opt-out files (operator-spec.md §10.2):
 * - compaction: once the oldest closed delta is older than the partition interval, every closed
 *   delta is merged into one sorted, deduplicated partition (`partition-builder.ts`), written
 *   before the deltas are deleted, so a crash in between only leaves duplicates. The partition is
 *   stamped with the newest merged delta's timestamp, so refresh's "deltas older than the last
 *   partition − 3 × rotate" filter never hides a delta that is not in a partition;
 * - expiry: files older than partition interval × max partitions are deleted;
 * - superseded snapshots of closed deltas are deleted.
 * Each step returns whether it changed the store.
 */
import type { BlobStore } from '../storage/blob-store.ts';
import { fileKey, type OptOutCatalog } from './log-catalog.ts';
import { optOutBlobPath } from './optout-file-name.ts';
import { buildPartition } from './partition-builder.ts';
import { OPTOUT_RECORD_SIZE } from '../protocol/optout-record.ts';

export interface MaintenanceContext {
  readonly store: BlobStore;
  readonly catalog: OptOutCatalog;
  readonly nowS: number;
  readonly replicaId: number;
  readonly partitionIntervalS: number;
  readonly maxPartitions: number;
  /** `fileKey` of the delta still being written; never compacted or cleaned here. */
  readonly openDeltaKey: string;
}

export async function compactDeltas(ctx: MaintenanceContext): Promise<boolean> {
  const closed = ctx.catalog.current.filter((f) => f.type === 'delta' && fileKey(f) !== ctx.openDeltaKey);
  if (closed.length === 0) return false;
  const oldest = Math.min(...closed.map((f) => f.epochSeconds));
  if (oldest > ctx.nowS - ctx.partitionIntervalS) return false;
  const bodies = await Promise.all(closed.map(async (f) => (await ctx.store.get(f.path)) ?? Buffer.alloc(0)));
  const partition = buildPartition(bodies);
  const stamp = Math.max(...closed.map((f) => f.epochSeconds));
  await ctx.store.put(optOutBlobPath('partition', ctx.replicaId, stamp, partition.length / OPTOUT_RECORD_SIZE), partition);
  const merged = new Set(closed.map(fileKey));
  const stale = [...closed, ...ctx.catalog.superseded.filter((f) => merged.has(fileKey(f)))];
  for (const f of stale) await ctx.store.delete(f.path);
  return true;
}

export async function expireFiles(ctx: MaintenanceContext): Promise<boolean> {
  const limit = ctx.nowS - ctx.partitionIntervalS * ctx.maxPartitions;
  const expired = [...ctx.catalog.current, ...ctx.catalog.superseded].filter(
    (f) => f.epochSeconds < limit && fileKey(f) !== ctx.openDeltaKey,
  );
  for (const f of expired) await ctx.store.delete(f.path);
  return expired.length > 0;
}

export async function removeSuperseded(ctx: MaintenanceContext): Promise<boolean> {
  const stale = ctx.catalog.superseded.filter((f) => fileKey(f) !== ctx.openDeltaKey);
  for (const f of stale) await ctx.store.delete(f.path);
  return stale.length > 0;
}
