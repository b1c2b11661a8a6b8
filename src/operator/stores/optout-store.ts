/**
 * Opt-out snapshot (spec §10.1, §10.2): first-level hash → opt-out time and base64(advertising
 * id) → earliest opt-out time, built from the 72-byte records of every delta/partition file.
 * A plain map pair is behaviourally equivalent to upstream's partitions + bloom filter (§10.2).
 */
import { OPTOUT_RECORD_SIZE, decodeOptOutRecord } from '../../protocol/optout-record.ts';
import type { StoreDefinition, Versioned } from './store-definition.ts';
import { StoreFormatError, asObject, asRecords, fields } from './store-json.ts';

export interface OptOutSnapshot extends Versioned {
  /** base64(FLH) → opt-out time, epoch seconds (earliest across files). */
  readonly byIdentityHash: ReadonlyMap<string, number>;
  /** base64(advertising id) → earliest opt-out time, epoch seconds (spec §4.8). */
  readonly byAdvertisingId: ReadonlyMap<string, number>;
}

export const EMPTY_OPTOUT: OptOutSnapshot = Object.freeze({
  version: 0,
  entryCount: 0,
  byIdentityHash: new Map(),
  byAdvertisingId: new Map(),
});

function keepEarliest(map: Map<string, number>, key: string, ts: number): void {
  const prev = map.get(key);
  if (prev === undefined || ts < prev) map.set(key, ts);
}

/** Builds a snapshot from the bytes of opt-out files (each a concatenation of 72-byte records). */
export function buildOptOutSnapshot(files: readonly Buffer[], version: number): OptOutSnapshot {
  const byIdentityHash = new Map<string, number>();
  const byAdvertisingId = new Map<string, number>();
  files.forEach((bytes, n) => {
    if (bytes.length % OPTOUT_RECORD_SIZE !== 0) {
      throw new StoreFormatError(`opt-out file ${n}: size ${bytes.length} is not a multiple of ${OPTOUT_RECORD_SIZE}`);
    }
    for (let off = 0; off < bytes.length; off += OPTOUT_RECORD_SIZE) {
      const record = decodeOptOutRecord(bytes, off);
      const ts = Number(record.timestampS);
      // Only a positive timestamp counts as an opt-out (spec §10.1).
      if (ts <= 0) continue;
      keepEarliest(byIdentityHash, record.identityHash.toString('base64'), ts);
      keepEarliest(byAdvertisingId, record.advertisingId.toString('base64'), ts);
    }
  });
  return Object.freeze({ version, entryCount: byIdentityHash.size, byIdentityHash, byAdvertisingId });
}

/** Metadata `{"version", "optout_logs": [{"type", "location", ...}]}` (spec §12.2). */
export const optOutStore: StoreDefinition<OptOutSnapshot> = {
  name: 'optout',
  async load(metadata, source) {
    const meta = asObject(metadata, 'optout metadata');
    const version = fields(meta, 'optout metadata').int('version');
    const logs = meta.optout_logs === undefined ? [] : asRecords(meta.optout_logs, 'optout metadata.optout_logs');
    const files = await Promise.all(logs.map((l, i) => source.content(fields(l, `optout_logs[${i}]`).str('location'))));
    return buildOptOutSnapshot(files, version);
  },
};
