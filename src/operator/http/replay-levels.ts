/**
 * Where the replay guard's tables lie in its slot array (replay-guard.ts). The slots reserved for a
 * capacity (a power of two, two per entry) are cut into levels, each an open-addressing table of
 * its own: the first two of `first` slots, then one twice the size of the one before, up to half
 * the reserved slots, so the levels fill the reservation exactly:
 *
 *   reserved 2^21, first 2^17:  [2^17][2^17][2^18][2^19][2^20]
 *   level                         0     1     2     3     4
 *
 * A level is opened only when the open ones are half full, and an entry never moves, so the
 * memory in use grows with the traffic of the window (a page is resident once touched) without
 * pausing every thread to move entries into a larger table.
 */

export interface Levels {
  /** `log2(first)`: a slot index shifted right by it tells the level. */
  readonly firstBits: number;
  readonly count: number;
}

/** The levels of `reserved` slots (a power of two) with a first level of at most `first`. */
export function levelsOf(reserved: number, first: number): Levels {
  const size = Math.min(first, reserved);
  const firstBits = 31 - Math.clz32(size);
  // reserved = size * 2^(count - 1)
  return { firstBits, count: 31 - Math.clz32(reserved) - firstBits + 1 };
}

/** First slot of level `k`. */
export function levelBase(l: Levels, k: number): number {
  return k === 0 ? 0 : 1 << (l.firstBits + k - 1);
}

/** Slots of level `k`. */
export function levelSize(l: Levels, k: number): number {
  return 1 << (l.firstBits + Math.max(0, k - 1));
}

/** The level slot `slot` belongs to. */
export function levelOf(l: Levels, slot: number): number {
  const q = slot >>> l.firstBits;
  return q === 0 ? 0 : 32 - Math.clz32(q);
}

/** Slots of the first `open` levels (they lie at the start of the array). */
export function openSlots(l: Levels, open: number): number {
  return levelBase(l, open - 1) + levelSize(l, open - 1);
}
