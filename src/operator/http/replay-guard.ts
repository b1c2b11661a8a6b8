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
 * The default cap (1,000,000 entries, about 100 MB) is far above what one instance can admit in
 * 240 s, so reaching it means overload, not normal traffic.
 */
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

export interface ReplayGuardOptions {
  /** Epoch milliseconds, the same clock as the freshness check. */
  now: () => number;
  windowMs?: number;
  bucketMs?: number;
  /** Hard cap on remembered envelopes. */
  capacity?: number;
}

export class ReplayGuard {
  private readonly now: () => number;
  private readonly windowMs: number;
  private readonly bucketMs: number;
  readonly capacity: number;
  /** bucket index (floor(timestamp / bucketMs)) → keys admitted with a timestamp in it */
  private readonly buckets = new Map<number, Set<string>>();
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

  /**
   * Records the envelope and says whether it is new. `client` separates callers so that two
   * clients' random nonces can never collide with each other.
   */
  admit(client: string, timestampMs: number, nonce: Uint8Array): ReplayVerdict {
    this.prune();
    const index = Math.floor(timestampMs / this.bucketMs);
    const key = `${client}\u0000${timestampMs}\u0000${Buffer.from(nonce.buffer, nonce.byteOffset, nonce.byteLength).toString('base64')}`;
    let bucket = this.buckets.get(index);
    if (bucket?.has(key)) return 'replayed';
    if (this.count >= this.capacity) return 'full';
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(index, bucket);
    }
    bucket.add(key);
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
