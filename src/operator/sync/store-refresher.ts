/**
 * Loads every rotating store at startup and polls it afterwards (spec §12.2, §12.4). A store is
 * reloaded only when its metadata `version` increases (or, for a store with a `version` hook such
 * as the inline cloud keys, whatever that hook says); a failed refresh keeps the last good
 * snapshot and only counts in metrics. Each store is a health component `<store>-rotator`,
 * healthy after its first successful load.
 */
import type { Logger } from 'pino';
import type { HealthRegistry } from '../metrics/health.ts';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import type { StoreBinding } from '../stores/operator-stores.ts';
import type { StoreSource } from '../stores/store-source.ts';
import { metadataVersion } from '../stores/store-json.ts';
import { STORE_LABELS } from '../stores/store-labels.ts';

/** `busy`: a poll of the same store was still running, so this one did nothing. */
export type RefreshOutcome = 'loaded' | 'unchanged' | 'failed' | 'busy';

export interface StoreRefresherOptions {
  readonly source: StoreSource;
  readonly bindings: readonly StoreBinding[];
  readonly now: () => number;
  readonly metrics: OperatorMetrics;
  readonly health: HealthRegistry;
  readonly logger: Logger;
}

export class StoreLoadError extends Error {
  readonly code = 'ERR_STORE_LOAD';

  constructor(store: string, reason: string) {
    super(`cannot load store "${store}": ${reason}`);
    this.name = 'StoreLoadError';
  }
}

/** Message of an error that is safe to log: parsers never put data values in messages. */
function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : 'unknown error';
}

export class StoreRefresher {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly failures = new Map<string, number>();
  private readonly running = new Set<string>();
  private readonly loaded = new Set<string>();
  private readonly lastReason = new Map<string, string>();

  constructor(private readonly o: StoreRefresherOptions) {
    for (const b of o.bindings) {
      o.health.register(`${b.name}-rotator`, 'not loaded');
      // Upstream registers a store's counters when it creates the store: each reads 0 until counted.
      const labels = { store: STORE_LABELS[b.name] };
      o.metrics.storeRefreshFailures.inc(labels, 0);
      o.metrics.storeRefreshed.inc(labels, 0);
      o.metrics.storeRefreshTimeMs.inc(labels, 0);
    }
  }

  /** Startup: every store must load once, else the operator refuses to start. */
  async loadAll(): Promise<void> {
    for (const b of this.o.bindings) {
      const started = performance.now();
      const outcome = await this.refresh(b);
      if (outcome === 'failed') throw new StoreLoadError(b.name, this.lastReason.get(b.name) ?? 'unknown error');
      this.o.metrics.startupStoreRefreshMs.set({ store_name: STORE_LABELS[b.name] }, Math.round(performance.now() - started));
    }
  }

  /**
   * One poll of one store. Never throws. Every poll that reads the metadata (and, when the version
   * grew, the content) successfully ends a failure streak, reload or not (spec §12.4).
   */
  async refresh(b: StoreBinding): Promise<RefreshOutcome> {
    if (this.running.has(b.name)) return 'busy';
    this.running.add(b.name);
    const { metrics, health } = this.o;
    const labels = { store: STORE_LABELS[b.name] };
    const started = performance.now();
    try {
      const meta = await this.o.source.metadata(b.name);
      const current = b.ref.peek();
      const nowMs = this.o.now();
      const version = b.definition.version?.(meta, nowMs) ?? metadataVersion(meta, b.name);
      // Before the first load the ref may hold a placeholder; afterwards only a higher version reloads.
      const stale = !this.loaded.has(b.name) || current === undefined || version > current.version;
      if (stale) {
        const next = await b.definition.load(meta, this.o.source, nowMs);
        b.ref.swap(next);
        this.loaded.add(b.name);
        metrics.storeVersion.set(labels, next.version);
        metrics.storeEntryCount.set(labels, next.entryCount);
        metrics.storeRefreshed.inc(labels);
        health.set(`${b.name}-rotator`, true);
      }
      this.failures.set(b.name, 0);
      metrics.storeConsecutiveFailures.set(labels, 0);
      return stale ? 'loaded' : 'unchanged';
    } catch (err) {
      const reason = reasonOf(err);
      this.lastReason.set(b.name, reason);
      const count = (this.failures.get(b.name) ?? 0) + 1;
      this.failures.set(b.name, count);
      metrics.storeRefreshFailures.inc(labels);
      metrics.storeConsecutiveFailures.set(labels, count);
      this.o.logger.warn({ store: b.name, consecutiveFailures: count, reason }, 'store refresh failed; keeping the last good snapshot');
      return 'failed';
    } finally {
      metrics.storeRefreshTimeMs.inc(labels, Math.round(performance.now() - started));
      this.running.delete(b.name);
    }
  }

  /** Starts polling each store at its interval. Timers do not keep the process alive. */
  start(): void {
    for (const b of this.o.bindings) {
      const timer = setInterval(() => void this.refresh(b), b.refreshMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }
}
