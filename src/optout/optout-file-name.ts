/**
 * Names of opt-out files (operator-spec.md §10.2, upstream `OptOutUtils`):
 *   optout-delta-<replica %03d>_<ISO-8601 seconds, ':' -> '.'>_<8 hex>.dat
 *   optout-partition-<replica %03d>_<ISO-8601 seconds, ':' -> '.'>_<8 hex>.dat
 * Upstream fills the 8 hex digits randomly; readers never interpret them. We put the record
 * count there instead, which makes re-uploads of the same content idempotent and lets a newer
 * snapshot of a growing delta (same replica and timestamp, more records) supersede an older one.
 * Blobs live under `optout/delta/` and `optout/partition/`.
 */
export type OptOutFileType = 'delta' | 'partition';

export interface OptOutFileName {
  readonly path: string;
  readonly type: OptOutFileType;
  readonly replicaId: number;
  readonly epochSeconds: number;
  /** The 8-hex suffix as a number (our record count). */
  readonly suffix: number;
}

export const OPTOUT_BLOB_PREFIX = 'optout/';
const FOLDER: Record<OptOutFileType, string> = { delta: 'optout/delta/', partition: 'optout/partition/' };
const NAME = /(?:^|\/)optout-(delta|partition)-(-?[0-9]{3,})_([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}\.[0-9]{2}\.[0-9]{2}Z)_([0-9a-f]{8})\.dat$/;

export function formatIsoSeconds(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}

export function optOutBlobPath(type: OptOutFileType, replicaId: number, epochSeconds: number, suffix: number): string {
  const replica = String(replicaId).padStart(3, '0');
  const ts = formatIsoSeconds(epochSeconds).replaceAll(':', '.');
  const hex = (suffix >>> 0).toString(16).padStart(8, '0');
  return `${FOLDER[type]}optout-${type}-${replica}_${ts}_${hex}.dat`;
}

/** The parts of an opt-out blob path or file name; undefined when it is not one. */
export function parseOptOutBlobPath(path: string): OptOutFileName | undefined {
  const m = NAME.exec(path);
  if (!m) return undefined;
  const ms = Date.parse(m[3].replaceAll('.', ':'));
  if (!Number.isFinite(ms)) return undefined;
  return {
    path,
    type: m[1] as OptOutFileType,
    replicaId: Number(m[2]),
    epochSeconds: ms / 1000,
    suffix: parseInt(m[4], 16),
  };
}
