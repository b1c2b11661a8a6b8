/**
 * What the opt-out blob listing means (pure). A listing holds delta and partition files; a
 * delta in progress may have several snapshots (same replica and timestamp, growing record
 * count in the suffix, see `optout-file-name.ts`), of which only the newest counts.
 *
 * Refresh metadata follows upstream `OptOutServiceVerticle.handleRefresh` (operator-spec.md
 * §12.2): deltas older than (newest partition − 3 × rotate interval) are left out, `from` is the
 * file's timestamp and `to = from + rotate interval`.
 */
import { parseOptOutBlobPath, type OptOutFileName } from './optout-file-name.ts';

export interface OptOutCatalog {
  /** Newest snapshot of every file, oldest first. */
  readonly current: readonly OptOutFileName[];
  /** Older snapshots replaced by a newer one of the same file. */
  readonly superseded: readonly OptOutFileName[];
}

export function fileKey(f: OptOutFileName): string {
  return `${f.type}/${f.replicaId}/${f.epochSeconds}`;
}

export function buildCatalog(paths: readonly string[]): OptOutCatalog {
  const newest = new Map<string, OptOutFileName>();
  const superseded: OptOutFileName[] = [];
  for (const path of paths) {
    const f = parseOptOutBlobPath(path);
    if (!f) continue;
    const seen = newest.get(fileKey(f));
    if (!seen) newest.set(fileKey(f), f);
    else if (f.suffix > seen.suffix) {
      superseded.push(seen);
      newest.set(fileKey(f), f);
    } else superseded.push(f);
  }
  const current = [...newest.values()].sort((a, b) => a.epochSeconds - b.epochSeconds || a.path.localeCompare(b.path));
  return { current, superseded };
}

export interface OptOutLogEntry {
  readonly type: 'delta' | 'partition';
  readonly from: number;
  readonly to: number;
  readonly path: string;
}

/** The files a refresh lists, in upstream order (by timestamp). */
export function refreshEntries(catalog: OptOutCatalog, deltaRotateIntervalS: number): OptOutLogEntry[] {
  const partitions = catalog.current.filter((f) => f.type === 'partition');
  const lastPartition = partitions.length ? Math.max(...partitions.map((f) => f.epochSeconds)) : undefined;
  const cutoff = lastPartition === undefined ? -Infinity : lastPartition - 3 * deltaRotateIntervalS;
  return catalog.current
    .filter((f) => f.type === 'partition' || f.epochSeconds >= cutoff)
    .map((f) => ({ type: f.type, from: f.epochSeconds, to: f.epochSeconds + deltaRotateIntervalS, path: f.path }));
}
