/**
 * Replay protection for v2 request envelopes (issue 7; beyond upstream, which only echoes the
 * nonce: spec §3.1 "The nonce is not checked for replay"), in shared memory (issue 16): one table
 * for every request thread of the operator, so a replay is caught whichever thread it reaches.
 *
 * A decoded envelope is accepted only while |now − timestamp| < 120 s (spec §3.1), so a replay can
 * only succeed inside that window. The guard remembers every (client, timestamp, nonce) it
 * admitted in open-addressing tables (linear probing) over a `SharedArrayBuffer`; an entry whose
 * timestamp has left the window is dead: the freshness check already rejects any replay of it.
 * Dead entries are removed (backward-shift deletion, so probe chains stay whole) a few slots per
 * admission by a sweep cursor; when the table or a client reaches its
 * limit, every slot is swept once (at most once a second) before the guard says "full", so
 * entries that have merely expired never count against anyone.
 *
 * The slots are reserved for the capacity (two per entry) and used as levels (replay-levels.ts):
 * tables of 131,072 slots, 131,072, 262,144, ... each opened when the open ones are half full. An
 * admission looks in every open level; an insert goes to the first with room. Memory grows with
 * the envelopes of the window (a page is resident once touched), and no entry ever moves. Beside
 * the slots, a byte per slot holds a tag of the entry's hash (0: empty): a probe reads the chain in
 * the tags and reads a slot only when its tag matches, so each open level costs about one cache
 * miss in an array a twentieth of the slots' size.
 *
 * Every operation holds one lock (a word changed with `Atomics.compareExchange`), ~100 ns. The
 * guard fails closed (503, status "unknown") rather than admit an envelope unchecked:
 * - `full`: the live entries reach the capacity, or the client holds its fair share of it (half
 *   the table by default), so one client cannot fill the table for every other;
 * - `unavailable`: the lock was not had within `LOCK_TIMEOUT_MS` (a thread stopped holding it),
 *   or the table is marked unavailable while it is repaired (`recover`).
 * Entries are the exact words (no false positives): two nonce words, the timestamp's two words and
 * the client's number in the table of clients (a hash of its key id, with its entry count).
 */
import { isMainThread, threadId } from 'node:worker_threads';
import { defineError } from '../errors.ts';
import { levelBase, levelOf, levelSize, levelsOf, openSlots, type Levels } from './replay-levels.ts';
import { CURSOR, FIRST_LEVEL_SLOTS, LEVEL_COUNTS, LOCK, MAX_CLIENTS, MAX_LEVELS, OCCUPIED, OPEN_LEVELS, RECLAIMED_AT, STRIDE, UNAVAILABLE, WAITERS, createReplayTable, type ReplayTableMemory } from './replay-table.ts';

export const REPLAY_WINDOW_MS = 120_000;
const LOCK_TIMEOUT_MS = 100;

export const REPLAY_MESSAGE = 'Invalid request: Request nonce was already used.';
export const REPLAY_FULL_MESSAGE = 'Service busy: too many requests in the replay window; retry later.';

/** 400 client_error: the same envelope (client, timestamp, nonce) was already admitted. */
export const ReplayedRequest = defineError('client_error', 400, 'ReplayedRequest', REPLAY_MESSAGE);

/** 503 while the nonce table is full or unavailable (fail closed, see above). */
export const ReplayCacheFull = defineError('unknown', 503, 'ReplayCacheFull', REPLAY_FULL_MESSAGE);

export type ReplayVerdict = 'fresh' | 'replayed' | 'full' | 'unavailable';

/** What the v2 envelope calls: throws the catalogue error for a replay, a full or an unavailable table. */
export interface ReplayChecker {
  check(client: string, timestampMs: number, nonce: Uint8Array): void | Promise<void>;
}

export interface ReplayGuardOptions {
  /** Epoch milliseconds, the same clock as the freshness check. */
  readonly now: () => number;
  readonly windowMs?: number;
  /** Hard cap on remembered envelopes (a new table only). */
  readonly capacity?: number;
  readonly clientShare?: number;
  /** Another guard's table (`memory`), to check against the same envelopes. */
  readonly memory?: ReplayTableMemory;
}

const TWO_32 = 4_294_967_296;
/**
 * Slots the cursor looks at per admission (contiguous, a few cache lines): one pass over the open
 * slots takes slots / 16 admissions, so expired entries not yet removed stay under 1/16 of the
 * slots and do not open a level live entries do not need.
 */
const SWEEP_PER_ADMIT = 16;

/** An entry's tag (1-255) from the high bits of its hash; the low bits place it in a level. */
function tagOf(h: number): number {
  return (h >>> 24) % 255 + 1;
}

/** FNV-1a of a client's key id: its number in the client table. */
function clientHash(client: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < client.length; i++) h = Math.imul(h ^ client.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

export class ReplayGuard implements ReplayChecker {
  readonly memory: ReplayTableMemory;
  readonly capacity: number;
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly header: Int32Array;
  private readonly slots: Uint32Array;
  private readonly tags: Uint8Array;
  private readonly clients: Uint32Array;
  private readonly levels: Levels;
  private readonly seed: number;
  private readonly perClient: number;
  private readonly me = threadId + 1;

  constructor(o: ReplayGuardOptions) {
    this.memory = o.memory ?? createReplayTable(o.capacity, o.clientShare);
    this.now = o.now;
    this.windowMs = o.windowMs ?? REPLAY_WINDOW_MS;
    this.capacity = this.memory.capacity;
    this.header = new Int32Array(this.memory.header);
    this.slots = new Uint32Array(this.memory.slots);
    this.tags = new Uint8Array(this.memory.tags);
    this.clients = new Uint32Array(this.memory.clients);
    this.levels = levelsOf(this.slots.length / STRIDE, FIRST_LEVEL_SLOTS);
    this.seed = this.memory.seed;
    this.perClient = Math.max(1, Math.floor(this.capacity * this.memory.clientShare));
  }

  /** Live (not yet expired) entries: a scan of the open levels, for tests and diagnostics. */
  get size(): number {
    const oldest = this.now() - this.windowMs;
    const end = this.slotCount * STRIDE;
    let n = 0;
    for (let at = 0; at < end; at += STRIDE) if (this.slots[at + 4] !== 0 && !this.expired(at, oldest)) n++;
    return n;
  }

  /** Slots of the open levels (the memory in use), for tests and diagnostics. */
  get slotCount(): number {
    return openSlots(this.levels, Atomics.load(this.header, OPEN_LEVELS));
  }

  /**
   * Records the envelope and says whether it is new. `client` (the API key id) separates callers,
   * so two clients' random nonces can never collide. `nonce` is the envelope's 8 bytes.
   */
  admit(client: string, timestampMs: number, nonce: Uint8Array): ReplayVerdict {
    if (nonce.length !== 8 || !Number.isSafeInteger(timestampMs)) throw new TypeError('replay guard: an 8-byte nonce and an integer timestamp are required');
    if (Atomics.load(this.header, UNAVAILABLE) !== 0 || !this.lock()) return 'unavailable';
    try {
      return this.admitLocked(client, timestampMs, nonce);
    } finally {
      this.unlock();
    }
  }

  /** Throws the catalogue error for a replayed envelope, or a full or unavailable table. */
  check(client: string, timestampMs: number, nonce: Uint8Array): void {
    const verdict = this.admit(client, timestampMs, nonce);
    if (verdict === 'replayed') throw new ReplayedRequest();
    if (verdict !== 'fresh') throw new ReplayCacheFull();
  }

  private admitLocked(client: string, timestampMs: number, nonce: Uint8Array, reclaimed = false): ReplayVerdict {
    const oldest = this.now() - this.windowMs;
    this.sweep(SWEEP_PER_ADMIT, oldest);
    const c = this.clientNumber(clientHash(client));
    if (c === 0) return 'full';
    const n0 = ((nonce[0] << 24) | (nonce[1] << 16) | (nonce[2] << 8) | nonce[3]) >>> 0;
    const n1 = ((nonce[4] << 24) | (nonce[5] << 16) | (nonce[6] << 8) | nonce[7]) >>> 0;
    const t0 = Math.floor(timestampMs / TWO_32) >>> 0;
    const t1 = timestampMs >>> 0;
    const h = this.hash(n0, n1, t1, c);
    const tag = tagOf(h);
    const { slots, tags, levels } = this;
    const open = Atomics.load(this.header, OPEN_LEVELS);
    let room = -1;
    for (let k = 0; k < open; k++) {
      const base = levelBase(levels, k);
      const mask = levelSize(levels, k) - 1;
      // The chain is read in the tags (one byte a slot, a cache line covers 64): only an entry
      // with the same tag is read from the slots, so a level costs one miss, not one per entry.
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const held = tags[base + i];
        if (held === 0) break;
        if (held !== tag) continue;
        const at = (base + i) * STRIDE;
        if (slots[at + 4] === c && slots[at] === n0 && slots[at + 1] === n1 && slots[at + 2] === t0 && slots[at + 3] === t1) return 'replayed';
      }
      if (room < 0 && (Atomics.load(this.header, LEVEL_COUNTS + k) + 1) * 2 <= mask + 1) room = k;
    }
    const atLimit = this.clients[(c - 1) * 2 + 1] >= this.perClient || Atomics.load(this.header, OCCUPIED) >= this.capacity;
    if (atLimit) {
      // The counts include expired entries the cursor has not reached: remove them all, then decide.
      if (reclaimed || !this.reclaim(oldest)) return 'full';
      return this.admitLocked(client, timestampMs, nonce, true);
    }
    // The first level with room, or a new one: the open levels hold under the capacity, so
    // while a level is left to open, one of them has room or the next does.
    if (room < 0) {
      // Expired entries may be what fills the open levels: remove them first (once a second at most).
      if (!reclaimed && this.reclaim(oldest)) return this.admitLocked(client, timestampMs, nonce, true);
      if (open >= levels.count) return 'full';
      room = open;
      Atomics.store(this.header, OPEN_LEVELS, open + 1);
    }
    const at = this.freeSlot(room, h);
    Atomics.add(this.header, OCCUPIED, 1);
    Atomics.add(this.header, LEVEL_COUNTS + room, 1);
    slots[at] = n0;
    slots[at + 1] = n1;
    slots[at + 2] = t0;
    slots[at + 3] = t1;
    slots[at + 4] = c;
    tags[at / STRIDE] = tag;
    this.clients[(c - 1) * 2 + 1]++;
    return 'fresh';
  }

  /** Word offset of the first free slot of the chain of `h` in `level` (linear probing). */
  private freeSlot(level: number, h: number): number {
    const { tags, levels } = this;
    const base = levelBase(levels, level);
    const mask = levelSize(levels, level) - 1;
    let i = h & mask;
    while (tags[base + i] !== 0) i = (i + 1) & mask;
    return (base + i) * STRIDE;
  }

  /** The entry's position in any level: `hash & (level size - 1)`. */
  private hash(n0: number, n1: number, t1: number, c: number): number {
    let h = Math.imul(n0 ^ this.seed, 0x9e3779b1);
    h = Math.imul(h ^ n1 ^ (h >>> 15), 0x85ebca6b);
    h = Math.imul(h ^ t1 ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ c ^ (h >>> 16), 0x27d4eb2d);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** True when the entry at `at` has a timestamp at or before `oldest` (outside the window). */
  private expired(at: number, oldest: number): boolean {
    return this.slots[at + 2] * TWO_32 + this.slots[at + 3] <= oldest;
  }

  /** The client's number (1-based) in the client table, added when new; 0 when the table is full. */
  private clientNumber(hash: number): number {
    const { clients } = this;
    const count = clients.length / 2;
    for (let i = hash & (count - 1), n = 0; n < count; i = (i + 1) & (count - 1), n++) {
      const held = clients[i * 2];
      if (held === hash) return i + 1;
      if (held === 0) {
        clients[i * 2] = hash;
        return i + 1;
      }
    }
    return 0;
  }

  /** Moves the sweep cursor `n` slots on over the open levels, removing the expired entries it passes. */
  private sweep(n: number, oldest: number): void {
    const { slots } = this;
    const end = this.slotCount;
    let i = Atomics.load(this.header, CURSOR) % end;
    for (let k = 0; k < n; ) {
      // A removal shifts a later entry into this slot: look at it again.
      if (slots[i * STRIDE + 4] !== 0 && this.expired(i * STRIDE, oldest)) this.remove(i);
      else {
        i = i + 1 === end ? 0 : i + 1;
        k++;
      }
    }
    Atomics.store(this.header, CURSOR, i);
  }

  /**
   * Sweeps every open slot, unless that was done this second (a client at its limit must not
   * make every one of its requests scan the table). Returns false when it did not sweep.
   */
  private reclaim(oldest: number): boolean {
    const second = Math.floor(this.now() / 1000) | 0;
    if (Atomics.load(this.header, RECLAIMED_AT) === second) return false;
    Atomics.store(this.header, RECLAIMED_AT, second);
    this.sweep(this.slotCount, oldest);
    return true;
  }

  /** Backward-shift deletion within the slot's level: later entries of the probe chain move up. */
  private remove(slot: number): void {
    const { slots, tags, levels } = this;
    const level = levelOf(levels, slot);
    const base = levelBase(levels, level);
    const mask = levelSize(levels, level) - 1;
    this.clients[(slots[slot * STRIDE + 4] - 1) * 2 + 1]--;
    let hole = slot - base;
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const at = (base + j) * STRIDE;
      if (slots[at + 4] === 0) break;
      const k = this.hash(slots[at], slots[at + 1], slots[at + 3], slots[at + 4]) & mask;
      // The entry stays when its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < k && k <= j : hole < k || k <= j;
      if (stays) continue;
      slots.copyWithin((base + hole) * STRIDE, at, at + STRIDE);
      tags[base + hole] = tags[base + j];
      hole = j;
    }
    slots.fill(0, (base + hole) * STRIDE, (base + hole) * STRIDE + STRIDE);
    tags[base + hole] = 0;
    Atomics.sub(this.header, OCCUPIED, 1);
    Atomics.sub(this.header, LEVEL_COUNTS + level, 1);
  }

  private lock(): boolean {
    const { header, me } = this;
    if (Atomics.compareExchange(header, LOCK, 0, me) === 0) return true;
    const until = performance.now() + LOCK_TIMEOUT_MS;
    // Counted before the first look at the lock, so a holder that lets go after it sees a waiter.
    Atomics.add(header, WAITERS, 1);
    try {
      for (;;) {
        const holder = Atomics.compareExchange(header, LOCK, 0, me);
        if (holder === 0) return true;
        if (performance.now() > until) return false;
        // A request thread may sleep until the holder lets go; the main thread may not block.
        if (!isMainThread) Atomics.wait(header, LOCK, holder, 1);
      }
    } finally {
      Atomics.sub(header, WAITERS, 1);
    }
  }

  /** Lets go of the lock; wakes a waiter only when one is counted (a notify costs ~0.15 us). */
  private unlock(): void {
    Atomics.store(this.header, LOCK, 0);
    if (Atomics.load(this.header, WAITERS) !== 0) Atomics.notify(this.header, LOCK, 1);
  }

  /**
   * After the thread `deadThreadId` died: when it held the lock, the table may be half-changed,
   * so it is marked unavailable (every check answers 503), rebuilt from its entries, and opened
   * again. Returns true when a repair was needed.
   */
  recover(deadThreadId: number): boolean {
    if (Atomics.load(this.header, LOCK) !== deadThreadId + 1) return false;
    Atomics.store(this.header, UNAVAILABLE, 1);
    const entries: number[] = [];
    const { slots, levels } = this;
    const end = this.slotCount * STRIDE;
    for (let at = 0; at < end; at += STRIDE) {
      if (slots[at + 4] === 0) continue;
      entries.push(...slots.subarray(at, at + STRIDE));
      slots.fill(0, at, at + STRIDE);
    }
    this.tags.fill(0, 0, end / STRIDE);
    // Client numbers stay (entries hold them); their counts are taken again below.
    for (let i = 1; i < this.clients.length; i += 2) this.clients[i] = 0;
    for (let k = 0; k < MAX_LEVELS; k++) Atomics.store(this.header, LEVEL_COUNTS + k, 0);
    Atomics.store(this.header, OCCUPIED, 0);
    Atomics.store(this.header, CURSOR, 0);
    Atomics.store(this.header, LOCK, 0);
    const open = Atomics.load(this.header, OPEN_LEVELS);
    const seen = new Set<string>();
    for (let e = 0; e < entries.length; e += STRIDE) {
      const key = entries.slice(e, e + STRIDE).join(',');
      // A half-done move leaves an entry twice, or a torn copy with no valid client.
      if (seen.has(key) || entries[e + 4] > MAX_CLIENTS) continue;
      seen.add(key);
      // Back into the first open level with room (the open levels held them all before).
      const h = this.hash(entries[e], entries[e + 1], entries[e + 3], entries[e + 4]);
      let k = 0;
      while (k < open - 1 && (Atomics.load(this.header, LEVEL_COUNTS + k) + 1) * 2 > levelSize(levels, k)) k++;
      const at = this.freeSlot(k, h);
      slots.set(entries.slice(e, e + STRIDE), at);
      this.tags[at / STRIDE] = tagOf(h);
      this.clients[(entries[e + 4] - 1) * 2 + 1]++;
      Atomics.add(this.header, OCCUPIED, 1);
      Atomics.add(this.header, LEVEL_COUNTS + k, 1);
    }
    Atomics.store(this.header, UNAVAILABLE, 0);
    return true;
  }
}
