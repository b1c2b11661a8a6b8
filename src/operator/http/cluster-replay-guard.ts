/**
 * One replay guard for a whole `uid2 operator --workers N` cluster (issue 7). node:cluster hands
 * connections to workers round-robin, so a per-worker guard would miss a replay that lands on
 * another worker. The primary holds the guard; each worker asks it over the cluster IPC channel
 * and waits for the verdict.
 *
 * | step | who     | message                                                    |
 * | 1    | primary | `shareReplayGuard()` before forking: marks the environment |
 * | 2    | worker  | `{type: "uid2-replay-admit", id, client, ts, nonce}`       |
 * | 3    | primary | `{type: "uid2-replay-verdict", id, verdict}`               |
 *
 * A worker started without the mark (a single operator, tests) uses a local guard. If the primary
 * does not answer within `VERDICT_TIMEOUT_MS` (it is shutting down), the worker's local guard
 * decides, so a request never hangs.
 */
import cluster, { type Worker } from 'node:cluster';
import { sendToWorker } from '../cluster/worker-protocol.ts';
import { ReplayCacheFull, ReplayGuard, ReplayedRequest, type ReplayChecker, type ReplayVerdict } from './replay-guard.ts';

const ADMIT = 'uid2-replay-admit';
const VERDICT = 'uid2-replay-verdict';
/** Set in the primary's environment, so forked workers inherit it. */
export const SHARED_REPLAY_GUARD_ENV = 'UID2_SHARED_REPLAY_GUARD';
const VERDICT_TIMEOUT_MS = 2000;

interface AdmitMessage {
  type: typeof ADMIT;
  id: number;
  client: string;
  ts: number;
  nonce: string;
}

interface VerdictMessage {
  type: typeof VERDICT;
  id: number;
  verdict: ReplayVerdict;
}

function throwFor(verdict: ReplayVerdict): void {
  if (verdict === 'replayed') throw new ReplayedRequest();
  if (verdict === 'full') throw new ReplayCacheFull();
}

class SharedReplayChecker implements ReplayChecker {
  private nextId = 1;
  private readonly pending = new Map<number, (verdict: ReplayVerdict) => void>();

  constructor(private readonly local: ReplayGuard) {
    process.on('message', (m: Partial<VerdictMessage> | null) => {
      if (m?.type !== VERDICT || typeof m.id !== 'number') return;
      this.pending.get(m.id)?.(m.verdict as ReplayVerdict);
    });
  }

  async check(client: string, timestampMs: number, nonce: Uint8Array): Promise<void> {
    const id = this.nextId++;
    const nonceB64 = Buffer.from(nonce).toString('base64');
    const verdict = await new Promise<ReplayVerdict>((resolve) => {
      const timer = setTimeout(() => finish(this.local.admit(client, timestampMs, nonce)), VERDICT_TIMEOUT_MS);
      const finish = (v: ReplayVerdict) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(v);
      };
      this.pending.set(id, finish);
      const message: AdmitMessage = { type: ADMIT, id, client, ts: timestampMs, nonce: nonceB64 };
      if (!process.connected || !process.send?.(message)) finish(this.local.admit(client, timestampMs, nonce));
    });
    throwFor(verdict);
  }
}

/** The checker for this process: shared through the primary when it offers one, else local. */
export function createReplayChecker(now: () => number): ReplayChecker {
  const local = new ReplayGuard({ now });
  if (cluster.isWorker && process.env[SHARED_REPLAY_GUARD_ENV] === '1' && typeof process.send === 'function') {
    return new SharedReplayChecker(local);
  }
  return { check: (client, ts, nonce) => throwFor(local.admit(client, ts, nonce)) };
}

/**
 * Primary side: answers every worker's admit requests from one guard. Call before forking.
 * Returns a function that stops answering.
 */
export function shareReplayGuard(now: () => number = Date.now): () => void {
  const guard = new ReplayGuard({ now });
  process.env[SHARED_REPLAY_GUARD_ENV] = '1';
  const onMessage = (worker: Worker, m: Partial<AdmitMessage> | null) => {
    if (m?.type !== ADMIT || typeof m.id !== 'number' || typeof m.client !== 'string' || typeof m.ts !== 'number' || typeof m.nonce !== 'string') return;
    const nonce = Buffer.from(m.nonce, 'base64');
    if (nonce.length !== 8 || !Number.isSafeInteger(m.ts)) return;
    const verdict = guard.admit(m.client, m.ts, nonce);
    const reply: VerdictMessage = { type: VERDICT, id: m.id, verdict };
    sendToWorker(worker, reply);
  };
  cluster.on('message', onMessage);
  return () => {
    cluster.off('message', onMessage);
    delete process.env[SHARED_REPLAY_GUARD_ENV];
  };
}
