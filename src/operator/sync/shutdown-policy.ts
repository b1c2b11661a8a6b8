/**
 * When the operator must stop rather than keep serving (spec attestation-azure.md §1.7,
 * operator-spec.md §12.4; upstream `OperatorShutdownHandler`):
 *
 * - Core rejects the operator's attestation (HTTP 401/403): exit(1) at once, the key is revoked
 *   or wrong and retrying cannot help.
 * - Any other attestation failure starts a timer; 12 h of continuous non-success: exit(1).
 * - A store without a successful refresh for `store_refresh_stale_shutdown_hours`: exit(1)
 *   (checked hourly, `stale-data-watch.ts`); salts that stay expired for
 *   `salts_expired_shutdown_hours`: exit(1) (checked per request, `salt-expiry-policy.ts`).
 *
 * `exit` and the clock are injected so tests run the 12 h rules on a fake clock.
 */
import type { Logger } from 'pino';

export type ExitFn = (code: number, reason: string) => void;

/** Logs the reason and ends the process. */
export function defaultExit(logger: Logger): ExitFn {
  return (code, reason) => {
    logger.fatal({ code, reason }, 'operator shutting down');
    process.exit(code);
  };
}

/** Upstream hard-codes 12 h (`Duration.ofHours(12)` in `Main`); `failure_shutdown_wait_hours` is unused. */
export const ATTEST_FAILURE_SHUTDOWN_MS = 12 * 3_600_000;

/** How an attestation attempt ended, as `AttestationResponseHandler` classifies HTTP statuses. */
export type AttestOutcome = 'success' | 'attestation_failure' | 'retryable';

export class AttestationShutdownPolicy {
  private failingSinceMs: number | undefined;
  private readonly waitMs: number;

  constructor(private readonly o: { now: () => number; exit: ExitFn; logger: Logger; waitMs?: number }) {
    this.waitMs = o.waitMs ?? ATTEST_FAILURE_SHUTDOWN_MS;
  }

  /** Epoch ms of the first failure in the current run of failures, if any. */
  get failingSince(): number | undefined {
    return this.failingSinceMs;
  }

  handle(outcome: AttestOutcome): void {
    if (outcome === 'success') {
      this.failingSinceMs = undefined;
      return;
    }
    if (outcome === 'attestation_failure') {
      this.o.logger.fatal('Core rejected the attestation (HTTP 401/403): operator key revoked or invalid, or this release\'s enclave id is not registered (retired); shutting down');
      this.o.exit(1, 'attestation rejected');
      return;
    }
    const now = this.o.now();
    this.failingSinceMs ??= now;
    if (now - this.failingSinceMs > this.waitMs) {
      this.o.logger.fatal({ failingForMs: now - this.failingSinceMs }, 'attestation has been failing for too long; shutting down');
      this.o.exit(1, 'attestation failing for too long');
    }
  }
}
