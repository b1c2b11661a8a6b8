/**
 * Which raw UIDs map v3 makes for a salt bucket (spec §4.6, §6.4): the current one always, the
 * previous one when the bucket rotated less than 90 days ago (`PREVIOUS_UID_DAYS`). Salted
 * buckets are hashed as base64 text; key-based (v4) buckets, and every bucket with `identity_v3`,
 * go through `mapIdentity`. Shared by the per-item and the batch map v3 paths so both decide alike.
 */
import { PREVIOUS_UID_DAYS } from '../../protocol/identity-mapping.ts';
import type { SaltTable } from '../stores/salt-table.ts';

export const BucketPlan = {
  /** Salted: current raw UID only. */
  Current: 0,
  /** Salted: current and previous raw UIDs. */
  CurrentAndPrevious: 1,
  /** Needs `mapIdentity` (v3 UIDs, or a key-based current or previous UID). */
  Keyed: 2,
} as const;
export type BucketPlan = (typeof BucketPlan)[keyof typeof BucketPlan];

const DAY_MS = 86_400_000;

export function bucketPlan(entries: SaltTable, line: number, nowMs: number, identityV3: boolean): BucketPlan {
  if (identityV3 || !entries.hasCurrentSalt(line)) return BucketPlan.Keyed;
  // Upstream divides the (possibly negative) age as Java longs: truncation toward zero.
  const recent = Math.trunc((nowMs - entries.lastUpdated(line)) / DAY_MS) < PREVIOUS_UID_DAYS;
  if (!recent) return BucketPlan.Current;
  if (entries.hasPreviousSalt(line)) return BucketPlan.CurrentAndPrevious;
  return entries.hasPreviousKey(line) ? BucketPlan.Keyed : BucketPlan.Current;
}
