/**
 * Drives the SDK mix open-loop at a fixed rate (the soak's correctness load). Open loop keeps issuing
 * at the target rate whatever the latency, so a slow-down shows up as latency, not as a
 * quietly lower rate; in-flight requests are capped and a request that cannot start in time is
 * counted as an error ("backlog").
 */
import { LatencyRecorder } from './latency-recorder.ts';
import { pickOperation, type Operation } from './load-mix.ts';

async function timed(op: Operation, rec: LatencyRecorder): Promise<void> {
  const t0 = performance.now();
  let error: string | undefined;
  try {
    error = await op.run();
  } catch (err) {
    error = `${op.name}: ${(err as Error).message.slice(0, 80)}`;
  }
  rec.record(performance.now() - t0, error);
}

export interface OpenLoopOptions {
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly maxInFlight?: number;
  /** Called about once a second. */
  readonly onTick?: (elapsedMs: number, rec: LatencyRecorder) => void;
}

export async function runOpenLoop(ops: readonly Operation[], o: OpenLoopOptions): Promise<LatencyRecorder> {
  const rec = new LatencyRecorder();
  const maxInFlight = o.maxInFlight ?? 512;
  const start = Date.now();
  let issued = 0;
  let inFlight = 0;
  let lastTick = start;
  const pending = new Set<Promise<void>>();
  while (Date.now() - start < o.durationMs) {
    const due = Math.floor(((Date.now() - start) / 1000) * o.ratePerSecond);
    while (issued < due) {
      issued++;
      if (inFlight >= maxInFlight) {
        rec.record(0, 'backlog: too many requests in flight');
        continue;
      }
      inFlight++;
      const p = timed(pickOperation(ops, (issued * 0.618033988749895) % 1), rec).finally(() => {
        inFlight--;
        pending.delete(p);
      });
      pending.add(p);
    }
    if (o.onTick && Date.now() - lastTick >= 1000) {
      lastTick = Date.now();
      o.onTick(lastTick - start, rec);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(pending);
  return rec;
}
