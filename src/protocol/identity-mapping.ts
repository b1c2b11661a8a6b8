/**
 * Raw UIDs of one first-level hash in its salt bucket, as map v3 returns them (spec §4.6, §6.4;
 * vectors `local_mapping.rules`).
 *
 * | output        | rule                                                                       |
 * | current       | currentSalt ? (identityV3 ? v3 : v2) : v4 with currentKey                  |
 * | previous      | only when trunc((now - lastUpdated) / 1 day) < 90 and a previous salt or   |
 * |               | previous key exists; the previous salt wins (v2/v3), else v4 previousKey   |
 * | refreshFromS  | refreshFrom / 1000 when refreshFrom >= now, else the next UTC midnight     |
 * |               | after now (also when the line has no refreshFrom)                          |
 * Tokens always carry `current`; only map v3 reports `previous`.
 */
import { ProtocolError } from './errors.ts';
import type { IdentityEnvironment, IdentityScope, IdentityType } from './identity-kinds.ts';
import { rawUidV2, rawUidV3, rawUidV4, rawUidV4Metadata } from './raw-uid.ts';
import type { KeyMaterial, SaltEntry } from './salt-file.ts';

const DAY_MS = 86_400_000;
/** A bucket's previous UID is reported for 90 days after its rotation. */
export const PREVIOUS_UID_DAYS = 90;

export interface MappingContext {
  readonly scope: IdentityScope;
  readonly type: IdentityType;
  readonly environment: IdentityEnvironment;
  /** Config `identity_v3`: salted buckets give 33-byte v3 UIDs instead of v2. */
  readonly identityV3: boolean;
}

export interface IdentityMapping {
  readonly current: Buffer;
  readonly previous: Buffer | null;
  readonly refreshFromS: number;
}

/** The raw UID of a salt bucket: v3 (with its type byte) when `identityV3`, else v2 (spec §6.4). */
export function saltRawUid(flh: Uint8Array, salt: string, ctx: Pick<MappingContext, 'scope' | 'type' | 'identityV3'>): Buffer {
  return ctx.identityV3 ? rawUidV3(flh, salt, ctx.scope, ctx.type) : rawUidV2(flh, salt);
}

function rawUid(flh: Uint8Array, salt: string | null, key: KeyMaterial | null, ctx: MappingContext): Buffer | null {
  if (salt !== null) return saltRawUid(flh, salt, ctx);
  if (key !== null) return rawUidV4(flh, key, rawUidV4Metadata(ctx.scope, ctx.type, ctx.environment));
  return null;
}

/** The raw UID a token carries for `flh` in bucket `entry`. */
export function currentRawUid(flh: Uint8Array, entry: SaltEntry, ctx: MappingContext): Buffer {
  const uid = rawUid(flh, entry.currentSalt, entry.currentKey, ctx);
  if (uid === null) throw new ProtocolError('ERR_FORMAT', 'salt entry has neither current salt nor current key');
  return uid;
}

/** Next UTC midnight strictly after `nowMs`, in seconds. */
function nextUtcMidnightS(nowMs: number): number {
  return (Math.floor(nowMs / DAY_MS) + 1) * (DAY_MS / 1000);
}

export function mapIdentity(flh: Uint8Array, entry: SaltEntry, ctx: MappingContext, nowMs: number): IdentityMapping {
  const current = currentRawUid(flh, entry, ctx);
  // Upstream divides the (possibly negative) age as Java longs: truncation toward zero.
  const ageDays = Math.trunc((nowMs - entry.lastUpdated) / DAY_MS);
  const previous = ageDays < PREVIOUS_UID_DAYS ? rawUid(flh, entry.previousSalt, entry.previousKey, ctx) : null;
  return { current, previous, refreshFromS: refreshFromSeconds(entry.refreshFrom, nowMs) };
}

/**
 * The `r` of map v3 from a bucket's `refreshFrom`: that time in seconds, or the next UTC midnight
 * once it has passed (or when the line has none).
 */
export function refreshFromSeconds(refreshFrom: number | null, nowMs: number): number {
  return refreshFrom !== null && refreshFrom >= nowMs ? Math.floor(refreshFrom / 1000) : nextUtcMidnightS(nowMs);
}
