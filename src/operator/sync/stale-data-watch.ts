/**
 * The hourly data-freshness shutdown rules (spec operator-spec.md §12.4, attestation-azure.md
 * §1.7; upstream `OperatorShutdownHandler`):
 *
 * - any rotating store (opt-out included) without a successful refresh for more than
 *   `store_refresh_stale_shutdown_hours` → exit(1). This also covers Core being unreachable,
 *   which never reaches the attestation status rule.
 * - salts that stay all-expired for more than `salts_expired_shutdown_hours` → exit(1).
 *
 * Before exiting the operator keeps serving from its last good data, as upstream does.
 */
import type { Logger } from 'pino';
import type { ExitFn } from './shutdown-policy.ts';
import { Ticker } from './ticker.ts';

export const STALE_CHECK_INTERVAL_MS = 3_600_000;

export interface StaleDataWatchOptions {
  readonly now: () => number;
  readonly exit: ExitFn;
  readonly logger: Logger;
  readonly staleAfterMs: number;
  readonly saltsExpiredAfterMs: number;
  /** Store name → epoch ms of its last successful refresh. */
  readonly lastSuccess: () => ReadonlyMap<string, number>;
  /** True when no salt file is in force at `nowMs`. */
  readonly saltsExpired: (nowMs: number) => boolean;
}

export class StaleDataWatch {
  private saltsExpiredSince: number | undefined;
  private readonly ticker = new Ticker(() => this.check());

  constructor(private readonly o: StaleDataWatchOptions) {}

  /** One check; calls `exit` when a rule is broken and returns the reason, else undefined. */
  check(): string | undefined {
    const now = this.o.now();
    for (const [store, at] of this.o.lastSuccess()) {
      if (now - at > this.o.staleAfterMs) {
        this.o.logger.fatal({ store, staleForMs: now - at }, 'store has not refreshed successfully for too long; shutting down');
        return this.exit(`store ${store} is stale`);
      }
    }
    if (!this.o.saltsExpired(now)) {
      this.saltsExpiredSince = undefined;
      return undefined;
    }
    this.saltsExpiredSince ??= now;
    this.o.logger.error({ expiredForMs: now - this.saltsExpiredSince }, 'all salts are expired');
    if (now - this.saltsExpiredSince > this.o.saltsExpiredAfterMs) {
      this.o.logger.fatal('salts have been expired for too long; shutting down');
      return this.exit('salts expired');
    }
    return undefined;
  }

  private exit(reason: string): string {
    this.o.exit(1, reason);
    return reason;
  }

  start(intervalMs = STALE_CHECK_INTERVAL_MS): void {
    this.ticker.start(intervalMs);
  }

  stop(): void {
    this.ticker.stop();
  }
}
