/**
 * Metrics of attested mode (spec operator-spec.md §13.2), registered in the operator's own
 * registry next to the store metrics (`uid2_config_store_*`) the refreshers already export:
 * attestation outcomes and expiry, the time of each store's last successful refresh (what the
 * stale-store shutdown rule looks at), the opt-out files held, encrypted store files decrypted,
 * and upstream's cloud-sync series of the opt-out sync (`SH:` = IABTechLab/uid2-shared
 * `src/main/java/com/uid2/shared`, `OP:` = IABTechLab/uid2-operator `src/main/java/com/uid2/operator`).
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
  /** Upstream `SH:vertx/CloudSyncVerticle.java` series of the opt-out sync (`store="optout"`). */
  readonly cloudRefreshed: Counter<'store'>;
  readonly cloudRefreshFailures: Counter<'store'>;
  readonly cloudDownloaded: Counter<'store'>;
  readonly cloudRefreshFailing: Gauge<'store'>;
  /** Upstream `OP:store/CloudSyncOptOutStore.java` "uid2.optout.entries_indexed". */
  readonly optOutEntriesIndexed: Gauge;

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
    this.cloudRefreshed = metrics.counter('uid2_cloud_refreshed_total', 'counter for how many times cloud storage files are refreshed', ['store']);
    this.cloudRefreshFailures = metrics.counter('uid2_cloud_refresh_failures_total', 'counter for number of store refresh failures', ['store']);
    this.cloudDownloaded = metrics.counter('uid2_cloud_downloaded_total', 'counter for how many cloud files are downloaded', ['store']);
    this.cloudRefreshFailing = metrics.gauge(
      'uid2_cloud_downloaded_consecutive_refresh_failures',
      '1 while the latest refresh of the store failed, else 0 (upstream name)',
      ['store'],
    );
    this.optOutEntriesIndexed = metrics.gauge('uid2_optout_entries_indexed', 'gauge for how many optout entries are indexed');
    for (const c of [this.cloudRefreshed, this.cloudRefreshFailures, this.cloudDownloaded]) c.inc({ store: 'optout' }, 0);
    this.cloudRefreshFailing.set({ store: 'optout' }, 0);
  }

  recordAttestation(outcome: AttestOutcome, expiresAtMs?: number): void {
    this.attestations.inc({ outcome });
    if (expiresAtMs !== undefined) this.attestationExpiry.set(Math.floor(expiresAtMs / 1000));
  }
}
