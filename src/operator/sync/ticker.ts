/**
 * The repeating timer of the operator's background loops (opt-out sync, attestation renewal,
 * stale-data watch, pod-termination monitor). It never keeps the process alive (`unref`), so a
 * service closes without waiting for a tick; starting a running ticker changes nothing.
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;

  /** `tick` must not throw or reject: each caller's tick already handles its own failures. */
  constructor(private readonly tick: () => void) {}

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(this.tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
