/**
 * Expired salts, checked on every request that reads them, as upstream does
 * (`OP:service/UIDOperatorService.java` `getSaltProviderSnapshot` calls
 * `OP:vertx/OperatorShutdownHandler.java` `handleSaltRetrievalResponse` on each salt read;
 * `OP:` = IABTechLab/uid2-operator `src/main/java/com/uid2/operator`):
 *
 * - a read that finds the salt file in force expired is counted
 *   (`uid2_salts_expired_requests_total`, ours) and logs "all salts are expired" at most once
 *   every 10 minutes (`SALT_FAILURE_LOG_INTERVAL_MINUTES`);
 * - the first expired read starts a timer, any unexpired read clears it, and an expired read more
 *   than `salts_expired_shutdown_hours` (default 12) after the timer started exits the process
 *   with code 1. With no traffic the timer never fires: the rule is driven by requests only.
 *
 * Opt-out staleness does not count toward this rule: only the salt snapshot's expiry feeds it.
 * Stores that stop refreshing, opt-out included, fall under the separate hourly rule
 * (stale-data-watch.ts).
 */
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { SaltSnapshot } from '../stores/salt-store.ts';
import { saltFileAt } from '../stores/salt-store.ts';
import type { ExitFn } from './shutdown-policy.ts';

export const SALT_EXPIRED_LOG_INTERVAL_MS = 10 * 60_000;

export interface SaltExpiryPolicyOptions {
  readonly logger: Logger;
  readonly exit: ExitFn;
  /** `salts_expired_shutdown_hours` in ms. */
  readonly shutdownAfterMs: number;
  readonly expiredReads: Counter;
}

/** True when the salt file a request uses at `nowMs` has expired (upstream: `getExpires() < now`). */
export function isSaltFileExpired(salts: SaltSnapshot, nowMs: number): boolean {
  return saltFileAt(salts.files, nowMs).expires <= nowMs;
}

export class SaltExpiryPolicy {
  private expiredSinceMs: number | undefined;
  private lastLogMs: number | undefined;

  constructor(private readonly o: SaltExpiryPolicyOptions) {}

  /** One request's salt read. Cheap when the salts are in force: a look at one or two files. */
  observe(salts: SaltSnapshot, nowMs: number): void {
    if (!isSaltFileExpired(salts, nowMs)) {
      this.expiredSinceMs = undefined;
      return;
    }
    this.o.expiredReads.inc();
    if (this.lastLogMs === undefined || nowMs > this.lastLogMs + SALT_EXPIRED_LOG_INTERVAL_MS) {
      this.o.logger.error('all salts are expired');
      this.lastLogMs = nowMs;
    }
    if (this.expiredSinceMs === undefined) {
      this.expiredSinceMs = nowMs;
    } else if (nowMs - this.expiredSinceMs > this.o.shutdownAfterMs) {
      this.o.logger.fatal('salts have been in expired state for too long. shutting down operator');
      this.o.exit(1, 'salts expired');
    }
  }
}
