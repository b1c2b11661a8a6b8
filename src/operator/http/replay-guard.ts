/**
 * Replay protection for v2 request envelopes (issue 7; beyond upstream, which only echoes the
 * nonce: spec §3.1 "The nonce is not checked for replay").
 *
 * A decoded envelope is accepted only while |now − timestamp| < 120 s (spec §3.1), so a replay
 * can only succeed inside that window. The guard remembers every (client, timestamp, nonce) it
 * admitted, grouped in buckets by *request timestamp*; a bucket is dropped as soon as every
 * timestamp in it is outside the window, because the freshness check then rejects any replay of
 * it anyway. Memory is therefore bounded by the admission rate over at most 2 × 120 s (a request
 * may be stamped up to 120 s in the future), and by a hard cap on top.
 *
 * When the cap is reached the guard fails closed: the request is refused with 503,
 * status "unknown" rather than admitted unchecked, since admitting it would reopen the replay hole.
 * The default cap (1,000,000 entries, at most ~40 MB) is far above what one instance can admit in
 * 240 s, so reaching it means overload, not normal traffic.
 *
 * Issue 6: entries are the exact (client, timestamp, nonce) words in open-addressing tables of
 * typed arrays, one per bucket: no string or object per request, nothing for the GC to trace, and
 * no false positives (a replay matches word for word; a different envelope never does).
 */
import { randomBytes } from 'node:crypto';
import { defineError } from '../errors.ts';

export const REPLAY_WINDOW_MS = 120_000;
const DEFAULT_BUCKET_MS = 10_000;
export const DEFAULT_REPLAY_CAPACITY = 1_000_000;

export const REPLAY_MESSAGE = 'Invalid request: Request nonce was already used.';
export const REPLAY_FULL_MESSAGE = 'Service busy: too many requests in the replay window; retry later.';

/** 400 client_error: the same envelope (client, timestamp, nonce) was already admitted. */
export const ReplayedRequest = defineError('client_error', 400, 'ReplayedRequest', REPLAY_MESSAGE);

/** 503 while the nonce cache is full (fail closed, see above). */
export const ReplayCacheFull = defineError('unknown', 503, 'ReplayCacheFull', REPLAY_FULL_MESSAGE);

export type ReplayVerdict = 'fresh' | 'replayed' | 'full';

/** What the v2 envelope calls: throws the catalogue error for a replay or a full cache. */
export interface ReplayChecker {
  check(client: string, timestampMs: number, nonce: Uint8Array): void | Promise<void>;
}

export interface ReplayGuardOptions {
  /** Epoch milliseconds, the same clock as the freshness check. */
  now: () => number;
  windowMs?: number;
  bucketMs?: number;
  /** Hard cap on remembered envelopes. */
  capacity?: number;
}

/** Words of one entry: nonce (2), timestamp high/low, client id + 1 (0 marks an empty slot). */
const STRIDE = 5;
const NONCE_SIZE = 8;
const TWO_32 = 4_294_967_296;

/** An open-addressing set of entries (linear probing, load ≤ 1/2, doubling). */
class EntryTable {
  private slots: Uint32Array;
  private mask: number;
  size = 0;

  constructor(private readonly seed: number, slotCount = 256) {
    this.slots = new Uint32Array(slotCount * STRIDE);
    this.mask = slotCount - 1;
  }

  /** The slot holding the entry, or the empty slot where it belongs. */
  private find(n0: number, n1: number, t0: number, t1: number, c: number): number {
    const { slots, mask } = this;
    let h = Math.imul(n0 ^ this.seed, 0x9e3779b1);
    h = Math.imul(h ^ n1 ^ (h >>> 15), 0x85ebca6b);
    h = Math.imul(h ^ t1 ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ c ^ (h >>> 16), 0x27d4eb2d);
    for (let i = (h ^ (h >>> 15)) & mask; ; i = (i + 1) & mask) {
      const at = i * STRIDE;
      const client = slots[at + 4];
      if (client === 0) return at;
      if (client === c && slots[at] === n0 && slots[at + 1] === n1 && slots[at + 2] === t0 && slots[at + 3] === t1) return at;
    }
  }

  has(n0: number, n1: number, t0: number, t1: number, c: number): boolean {
    return this.slots[this.find(n0, n1, t0, t1, c) + 4] !== 0;
  }

  /** Adds an entry known to be absent. */
  add(n0: number, n1: number, t0: number, t1: number, c: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const at = this.find(n0, n1, t0, t1, c);
    const { slots } = this;
    slots[at] = n0;
    slots[at + 1] = n1;
    slots[at + 2] = t0;
    slots[at + 3] = t1;
    slots[at + 4] = c;
    this.size++;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Uint32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let at = 0; at < old.length; at += STRIDE) {
      if (old[at + 4] === 0) continue;
      this.slots.set(old.subarray(at, at + STRIDE), this.find(old[at], old[at + 1], old[at + 2], old[at + 3], old[at + 4]));
    }
  }
}

export class ReplayGuard implements ReplayChecker {
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly bucketMs: number;
  readonly capacity: number;
  /** bucket index (floor(timestamp / bucketMs)) → entries admitted with a timestamp in it */
  private readonly buckets = new Map<number, EntryTable>();
  /** API clients are few and authenticated: each gets a small number once. */
  private readonly clientIds = new Map<string, number>();
  private readonly seed = randomBytes(4).readUInt32BE(0);
  private count = 0;

  constructor(options: ReplayGuardOptions) {
    this.now = options.now;
    this.windowMs = options.windowMs ?? REPLAY_WINDOW_MS;
    this.bucketMs = options.bucketMs ?? DEFAULT_BUCKET_MS;
    this.capacity = options.capacity ?? DEFAULT_REPLAY_CAPACITY;
  }

  /** Remembered envelopes (after pruning at the last admission). */
  get size(): number {
    return this.count;
  }

  private clientId(client: string): number {
    let id = this.clientIds.get(client);
    if (id === undefined) {
      id = this.clientIds.size + 1;
      this.clientIds.set(client, id);
    }
    return id;
  }

  /**
   * Records the envelope and says whether it is new. `client` separates callers so that two
   * clients' random nonces can never collide with each other. `nonce` is the envelope's 8 bytes.
   */
  admit(client: string, timestampMs: number, nonce: Uint8Array): ReplayVerdict {
    if (nonce.length !== NONCE_SIZE || !Number.isSafeInteger(timestampMs)) throw new TypeError('replay guard: an 8-byte nonce and an integer timestamp are required');
    this.prune();
    const n0 = ((nonce[0] << 24) | (nonce[1] << 16) | (nonce[2] << 8) | nonce[3]) >>> 0;
    const n1 = ((nonce[4] << 24) | (nonce[5] << 16) | (nonce[6] << 8) | nonce[7]) >>> 0;
    const t0 = Math.floor(timestampMs / TWO_32) >>> 0;
    const t1 = timestampMs >>> 0;
    const c = this.clientId(client);
    const index = Math.floor(timestampMs / this.bucketMs);
    let bucket = this.buckets.get(index);
    if (bucket?.has(n0, n1, t0, t1, c)) return 'replayed';
    if (this.count >= this.capacity) return 'full';
    if (!bucket) {
      bucket = new EntryTable(this.seed);
      this.buckets.set(index, bucket);
    }
    bucket.add(n0, n1, t0, t1, c);
    this.count++;
    return 'fresh';
  }

  /** Throws the catalogue error for a replayed envelope or a full cache. */
  check(client: string, timestampMs: number, nonce: Uint8Array): void {
    const verdict = this.admit(client, timestampMs, nonce);
    if (verdict === 'replayed') throw new ReplayedRequest();
    if (verdict === 'full') throw new ReplayCacheFull();
  }

  /** Drops buckets whose newest possible timestamp is already outside the window. */
  private prune(): void {
    const oldestAcceptable = this.now() - this.windowMs; // timestamps ≤ this are rejected upstream of us
    for (const [index, bucket] of this.buckets) {
      if ((index + 1) * this.bucketMs - 1 <= oldestAcceptable) {
        this.count -= bucket.size;
        this.buckets.delete(index);
      }
    }
  }
}
