/**
 * Opt-out sync from the OptOut service (spec operator-spec.md §10.2, §12.2; upstream
 * `OptOutCloudSync` + `CloudSyncVerticle`): every `cloud_refresh_interval` GET the opt-out
 * metadata, download the files not held yet, drop the ones no longer listed, and rebuild the
 * opt-out snapshot from the files held, swapped in with one assignment.
 *
 * Files are keyed by their URL without the query: the OptOut service never rewrites a file under
 * one name (a growing delta is re-published under a new name), so a signed link that changes only
 * its signature names a file already held. Health component `cloudsync-optout` turns healthy at
 * the first successful sync; later failures keep the last snapshot and only count in metrics.
 */
import type { Logger } from 'pino';
import { OPTOUT_RECORD_SIZE } from '../../protocol/optout-record.ts';
import type { HealthRegistry } from '../metrics/health.ts';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import { loadOptOutSnapshot, type OptOutSnapshot } from '../stores/optout-store.ts';
import type { SnapshotRef } from '../stores/snapshot-ref.ts';
import { asObject, asRecords, fields, StoreFormatError } from '../stores/store-json.ts';
import type { Attestation } from './attestation-client.ts';
import { redactUrl, type AttestedFetcher } from './attested-fetcher.ts';
import type { SyncMetrics } from './sync-metrics.ts';
import { Ticker } from './ticker.ts';

export const OPTOUT_HEALTH_COMPONENT = 'cloudsync-optout';
const STORE_LABEL = { store: 'optout' } as const;

export type SyncOutcome = 'loaded' | 'unchanged' | 'failed';

export interface OptOutSyncOptions {
  readonly fetcher: Pick<AttestedFetcher, 'getJson' | 'download'>;
  /** The metadata URL, from the attestation in force (`optout_url` + `optout_metadata_path`). */
  readonly metadataUrl: (attestation: Attestation) => string;
  readonly ref: SnapshotRef<OptOutSnapshot>;
  readonly intervalMs: number;
  readonly now: () => number;
  readonly health: HealthRegistry;
  readonly metrics: OperatorMetrics;
  readonly syncMetrics: SyncMetrics;
  readonly logger: Logger;
}

interface Listed {
  readonly key: string;
  readonly type: string;
  readonly url: string;
}

interface HeldFile {
  readonly type: string;
  readonly bytes: Buffer;
}

function parseListing(meta: unknown): { version: number; files: Listed[] } {
  const m = asObject(meta, 'optout metadata');
  const version = fields(m, 'optout metadata').int('version');
  const logs = m.optout_logs === undefined ? [] : asRecords(m.optout_logs, 'optout metadata.optout_logs');
  const files = logs.map((l, i) => {
    const f = fields(l, `optout_logs[${i}]`);
    const url = f.str('location');
    return { key: redactUrl(url), type: f.optStr('type') ?? 'delta', url };
  });
  return { version, files };
}

export class OptOutSync {
  private held = new Map<string, HeldFile>();
  private loaded = false;
  private running: Promise<SyncOutcome> | undefined;
  private readonly ticker = new Ticker(() => void this.syncOnce());
  private consecutiveFailures = 0;
  private lastSuccess: number | undefined;

  constructor(private readonly o: OptOutSyncOptions) {
    o.health.register(OPTOUT_HEALTH_COMPONENT, 'not synced yet');
  }

  /** Epoch ms of the last successful sync (changed or not). */
  get lastSuccessMs(): number | undefined {
    return this.lastSuccess;
  }

  /** One sync; concurrent calls share the run in progress. Never throws. */
  syncOnce(): Promise<SyncOutcome> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<SyncOutcome> {
    const { metrics } = this.o;
    try {
      const outcome = await this.sync();
      this.consecutiveFailures = 0;
      this.lastSuccess = this.o.now();
      metrics.storeConsecutiveFailures.set(STORE_LABEL, 0);
      this.o.syncMetrics.lastRefreshSuccess.set(STORE_LABEL, Math.floor(this.lastSuccess / 1000));
      this.o.syncMetrics.cloudRefreshFailing.set(STORE_LABEL, 0);
      this.o.health.set(OPTOUT_HEALTH_COMPONENT, true);
      return outcome;
    } catch (err) {
      this.consecutiveFailures++;
      metrics.storeRefreshFailures.inc(STORE_LABEL);
      metrics.storeConsecutiveFailures.set(STORE_LABEL, this.consecutiveFailures);
      this.o.syncMetrics.cloudRefreshFailures.inc(STORE_LABEL);
      this.o.syncMetrics.cloudRefreshFailing.set(STORE_LABEL, 1);
      const reason = err instanceof Error ? err.message : 'unknown error';
      this.o.logger.warn({ store: 'optout', consecutiveFailures: this.consecutiveFailures, reason }, 'opt-out sync failed; keeping the last snapshot');
      return 'failed';
    } finally {
      // Upstream counts every completed refresh, failed or not.
      this.o.syncMetrics.cloudRefreshed.inc(STORE_LABEL);
    }
  }

  private async sync(): Promise<SyncOutcome> {
    const { version, files } = parseListing(await this.o.fetcher.getJson(this.o.metadataUrl, 'optout'));
    const next = new Map<string, HeldFile>();
    const missing = files.filter((f) => !this.held.has(f.key));
    // Into shared memory: each rebuild's indexing thread reads the files held where they are.
    const downloaded = await Promise.all(missing.map(async (f) => [f, await this.o.fetcher.download(f.url, { shared: true })] as const));
    for (const [f, bytes] of downloaded) {
      // Checked before caching, so one bad download cannot poison every later rebuild.
      if (bytes.length % OPTOUT_RECORD_SIZE !== 0) {
        throw new StoreFormatError(`opt-out file ${f.key.split('/').pop()}: size ${bytes.length} is not a multiple of ${OPTOUT_RECORD_SIZE}`);
      }
    }
    this.o.syncMetrics.cloudDownloaded.inc(STORE_LABEL, downloaded.length);
    const fresh = new Map(downloaded.map(([f, bytes]) => [f.key, { type: f.type, bytes }]));
    for (const f of files) next.set(f.key, this.held.get(f.key) ?? fresh.get(f.key)!);
    if (this.loaded && missing.length === 0 && next.size === this.held.size) return 'unchanged';
    const snapshot = await loadOptOutSnapshot([...next.values()].map((f) => f.bytes), version, 'share');
    this.held = next;
    this.o.ref.swap(snapshot);
    this.loaded = true;
    this.recordLoad(snapshot);
    return 'loaded';
  }

  private recordLoad(snapshot: OptOutSnapshot): void {
    const { metrics, syncMetrics } = this.o;
    metrics.storeVersion.set(STORE_LABEL, snapshot.version);
    metrics.storeEntryCount.set(STORE_LABEL, snapshot.entryCount);
    metrics.storeRefreshed.inc(STORE_LABEL);
    syncMetrics.optOutEntriesIndexed.set(snapshot.entryCount);
    syncMetrics.optOutFiles.reset();
    for (const f of this.held.values()) syncMetrics.optOutFiles.inc({ type: f.type });
  }

  /** Polls every `intervalMs`. The timer does not keep the process alive. */
  start(): void {
    this.ticker.start(this.o.intervalMs);
  }

  stop(): void {
    this.ticker.stop();
  }
}
