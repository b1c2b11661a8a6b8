/**
 * The hourly data-freshness shutdown rule (spec operator-spec.md §12.4, attestation-azure.md §1.7;
 * upstream `OperatorShutdownHandler.checkStoreRefreshStaleness`): any rotating store (opt-out
 * included) without a successful refresh for more than `store_refresh_stale_shutdown_hours` →
 * exit(1). This also covers Core being unreachable, which never reaches the attestation status
 * rule. Expired salts are a separate rule, checked on each request as upstream does
 * (salt-expiry-policy.ts).
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
  /** Store name → epoch ms of its last successful refresh. */
  readonly lastSuccess: () => ReadonlyMap<string, number>;
}

export class StaleDataWatch {
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
