/**
 * Compaction of opt-out files into a partition (operator-spec.md §10.2): records sorted ascending
 * by identity hash compared as unsigned bytes (operators binary-search it), one record per
 * identity hash, keeping the one with the earliest timestamp. A trailing partial record in an
 * input is ignored.
 */
import { OPTOUT_RECORD_SIZE, decodeOptOutRecord } from '../protocol/optout-record.ts';

const HASH_SIZE = 32;

export function buildPartition(files: readonly Buffer[]): Buffer {
  const earliest = new Map<string, { record: Buffer; ts: bigint }>();
  for (const file of files) {
    for (let off = 0; off + OPTOUT_RECORD_SIZE <= file.length; off += OPTOUT_RECORD_SIZE) {
      const record = file.subarray(off, off + OPTOUT_RECORD_SIZE);
      const ts = decodeOptOutRecord(record).timestampS;
      const key = record.subarray(0, HASH_SIZE).toString('hex');
      const seen = earliest.get(key);
      if (!seen || ts < seen.ts) earliest.set(key, { record, ts });
    }
  }
  // Lower-case hex of equal length sorts exactly like the unsigned bytes.
  const keys = [...earliest.keys()].sort();
  return Buffer.concat(keys.map((k) => earliest.get(k)!.record));
}
