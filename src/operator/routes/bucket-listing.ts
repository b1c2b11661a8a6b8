/**
 * `/v2/identity/buckets` data (spec §4.7): parsing `since_timestamp` as Java's
 * `ISO_LOCAL_DATE_TIME` in UTC, and listing the salt entries updated since then with
 * `last_updated` as `yyyy-MM-dd'T'HH:mm:ss.SSS` (UTC, always 3 fraction digits).
 */
import { saltFileAt, type SaltSnapshot } from '../stores/salt-store.ts';

/** `YYYY-MM-DDTHH:MM[:SS[.f{1,9}]]`, no zone: what `LocalDateTime.parse(s, ISO_LOCAL_DATE_TIME)` takes. */
const ISO_LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

/** Epoch ms (truncated, as `Instant.toEpochMilli`) or undefined when the text is not a valid date-time. */
export function parseSinceTimestamp(text: string): number | undefined {
  const m = ISO_LOCAL_DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  // Java's ISO formatters resolve strictly: 2023-02-30 is an error, not March 2.
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  return date.getTime();
}

export function formatBucketTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23);
}

/** Entries of the salt file in force with `lastUpdated ≥ since`, in file order. */
export function modifiedBuckets(salts: SaltSnapshot, sinceMs: number, nowMs: number): { bucket_id: string; last_updated: string }[] {
  const { entries } = saltFileAt(salts.files, nowMs);
  const out: { bucket_id: string; last_updated: string }[] = [];
  // The compact table's accessors read two numbers per line; no entry object is decoded.
  for (let i = 0; i < entries.length; i++) {
    const lastUpdated = entries.lastUpdated(i);
    if (lastUpdated >= sinceMs) out.push({ bucket_id: salts.bucketId(entries.id(i)), last_updated: formatBucketTimestamp(lastUpdated) });
  }
  return out;
}
