/**
 * Metrics of attested mode (spec operator-spec.md §13.2), registered in the operator's own
 * registry next to the store metrics (`uid2_config_store_*`) the refreshers already export:
 * attestation outcomes and expiry, the time of each store's last successful refresh (what the
 * stale-store shutdown rule looks at), the opt-out files held, and encrypted store files decrypted.
 */
import type { Counter, Gauge } from 'prom-client';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import type { AttestOutcome } from './shutdown-policy.ts';

export class SyncMetrics {
  readonly attestations: Counter<'outcome'>;
  readonly attestationExpiry: Gauge;
  readonly lastRefreshSuccess: Gauge<'store'>;
  readonly optOutFiles: Gauge<'type'>;
  readonly cloudDecryptions: Counter;

  constructor(metrics: OperatorMetrics) {
    this.attestations = metrics.counter(
      'uid2_attestation_attempts_total',
      'Attestation attempts towards Core by outcome (success, attestation_failure, retryable)',
      ['outcome'],
    );
    this.attestationExpiry = metrics.gauge('uid2_attestation_expires_at_seconds', 'Expiry of the attestation token in force (epoch seconds)');
    this.lastRefreshSuccess = metrics.gauge(
      'uid2_config_store_last_success_timestamp_seconds',
      'Time of the last successful refresh of each store (epoch seconds)',
      ['store'],
    );
    this.optOutFiles = metrics.gauge('uid2_optout_files', 'Opt-out delta and partition files currently held', ['type']);
    this.cloudDecryptions = metrics.counter(
      'uid2_cloud_decryption_runs_total',
      'Store files decrypted with a cloud encryption key (encrypted_files, spec §12.3)',
    );
  }

  recordAttestation(outcome: AttestOutcome, expiresAtMs?: number): void {
    this.attestations.inc({ outcome });
    if (expiresAtMs !== undefined) this.attestationExpiry.set(Math.floor(expiresAtMs / 1000));
  }
}
