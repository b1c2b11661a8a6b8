/**
 * The shared memory of the replay guard's table (replay-guard.ts): its header words, the slot
 * array every level lies in (replay-levels.ts) and the table of clients, allocated once by the
 * process and handed to every request thread.
 */
import { randomBytes } from 'node:crypto';

export const DEFAULT_REPLAY_CAPACITY = 1_000_000;
/** The share of the capacity one client may hold. */
export const DEFAULT_CLIENT_SHARE = 0.5;
/** Clients the table tells apart (a client number is 1..MAX_CLIENTS). */
export const MAX_CLIENTS = 4096;

/** The shared memory of one table, handed to every thread that checks against it. */
export interface ReplayTableMemory {
  readonly header: SharedArrayBuffer;
  readonly slots: SharedArrayBuffer;
  /** One byte per slot: 0 when empty, else a tag of the entry's hash (replay-guard.ts `tagOf`). */
  readonly tags: SharedArrayBuffer;
  readonly clients: SharedArrayBuffer;
  readonly capacity: number;
  readonly clientShare: number;
  readonly seed: number;
}

// Header words.
export const LOCK = 0;
export const OCCUPIED = 1;
export const CURSOR = 2;
export const UNAVAILABLE = 3;
/** The second (epoch seconds, wrapped to 32 bits) of the last sweep of every slot. */
export const RECLAIMED_AT = 4;
/** Levels open now (replay-levels.ts). */
export const OPEN_LEVELS = 5;
/** Then one word per level: its entries. */
export const LEVEL_COUNTS = 6;
export const MAX_LEVELS = 32;
/** Threads sleeping on the lock word: the lock's holder wakes one only when there is one. */
export const WAITERS = LEVEL_COUNTS + MAX_LEVELS;
const HEADER_WORDS = WAITERS + 1;
/**
 * The first level: 131,072 slots (2.5 MB). Each open level costs a probe per admission (a cache
 * miss once it is large): the default capacity has 5 levels, 4,000,000 has 7.
 */
export const FIRST_LEVEL_SLOTS = 1 << 17;
/** Slot words: nonce high, nonce low, timestamp high, timestamp low, client number + 1 (0 = empty). */
export const STRIDE = 5;

/** The slots reserved for a capacity: a power of two, at least two per entry. */
function reservedSlots(capacity: number): number {
  let slotCount = 16;
  while (slotCount < capacity * 2) slotCount *= 2;
  return slotCount;
}

export function createReplayTable(capacity = DEFAULT_REPLAY_CAPACITY, clientShare = DEFAULT_CLIENT_SHARE): ReplayTableMemory {
  const header = new SharedArrayBuffer(HEADER_WORDS * 4);
  new Int32Array(header)[OPEN_LEVELS] = 1;
  return {
    header,
    // Reserved for every level; pages no level has touched take no memory.
    slots: new SharedArrayBuffer(reservedSlots(capacity) * STRIDE * 4),
    tags: new SharedArrayBuffer(reservedSlots(capacity)),
    // Per client: key hash, entry count.
    clients: new SharedArrayBuffer(MAX_CLIENTS * 2 * 4),
    capacity,
    clientShare,
    seed: randomBytes(4).readUInt32BE(0),
  };
}

