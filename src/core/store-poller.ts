/**
 * Runs Core's store refreshes on an interval (upstream `RotatingStoreVerticle`, 60 s for
 * enclaves; here one configurable period). A failed refresh keeps the last good data and is
 * retried on the next tick; ticks never overlap.
 */
export interface Poller {
  stop(): void;
}

export function startPolling(intervalMs: number, refresh: () => Promise<void>, onError: (err: unknown) => void): Poller {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    refresh()
      .catch(onError)
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
