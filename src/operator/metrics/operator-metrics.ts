/**
 * Prometheus metrics of the operator (spec §13.2), in a registry owned by the app instance
 * (no global registry, so tests can run several apps in one process). Upstream's names, labels
 * and label values where upstream has the series (docs/operations.md lists each with its source);
 * ours beside them. HTTP metrics use the route pattern, never the raw URL.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundLabels } from './bound-labels.ts';
import { BufferedCounter } from './buffered-counter.ts';
import { BufferedHistogram } from './buffered-histogram.ts';
import type { HealthRegistry } from './health.ts';
import { MappingMetrics } from './mapping-metrics.ts';
import { registerRuntimeLimits } from './runtime-limits.ts';
import { TokenFlowMetrics } from './token-flow-metrics.ts';
import type { UsageLog } from './usage-log.ts';
import { registerVertxHttpView } from './vertx-http-view.ts';

export class OperatorMetrics {
  /** Upstream's common tag on every series (Main.java `commonTags("application", "uid2-operator")`). */
  readonly registry = new Registry();

  /** Hot-path series (buffered-counter.ts, buffered-histogram.ts): an update is a plain add. */
  readonly httpRequests = new BufferedCounter({
    name: 'uid2_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'path', 'code'],
    registers: [this.registry],
  });

  readonly httpDuration = new BufferedHistogram({
    name: 'uid2_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'path', 'code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly siteKeysetStatus = new BufferedCounter({
    name: 'uid2_site_keyset_status',
    help: 'Site key selection outcome (spec §8.2)',
    labelNames: ['status'],
    registers: [this.registry],
  });

  /** Request counter and latency by method, route, code (bound-labels.ts caches the pair). */
  readonly httpByRoute = new BoundLabels((values) => ({ requests: this.httpRequests.series(values), duration: this.httpDuration.series(values) }));

  /** API usage log lines (usage-log.ts), fed by `observeResponse`; set by the operator at startup. */
  usage: UsageLog | undefined = undefined;

  /** Token generate/refresh/validate series under upstream's names (token-flow-metrics.ts). */
  readonly tokens = new TokenFlowMetrics(this.registry);

  /** Identity map and opt-out status series under upstream's names (mapping-metrics.ts). */
  readonly mapping = new MappingMetrics(this.registry);

  readonly siteKeysetStatusBy = new BoundLabels((values) => this.siteKeysetStatus.series(values));

  readonly storeVersion = this.gauge('uid2_config_store_version', 'Version of the loaded store snapshot', ['store']);
  readonly storeEntryCount = this.gauge('uid2_config_store_entry_count', 'Entries in the loaded store snapshot', ['store']);
  readonly storeRefreshed = this.counter('uid2_config_store_refreshed_total', 'Successful store reloads', ['store']);

  readonly storeRefreshFailures = this.counter(
    'uid2_config_store_refresh_failures_total',
    'Failed store refresh attempts (the last good snapshot stays in force)',
    ['store'],
  );
  readonly storeConsecutiveFailures = this.gauge('uid2_config_store_consecutive_refresh_failures', 'Refresh failures since the last success', ['store']);
  /** Upstream `RotatingStoreVerticle`: time spent refreshing, and the initial load's duration. */
  readonly storeRefreshTimeMs = this.counter('uid2_config_store_refreshtime_ms_total', 'Total time (ms) spent refreshing the store', ['store']);
  readonly startupStoreRefreshMs = this.gauge('uid2_operator_startup_store_refresh_duration_ms', 'Time taken for the initial store load during startup', ['store_name']);

  /** A counter registered in this registry (prom-client types its label names). */
  counter<T extends string = string>(name: string, help: string, labelNames: readonly T[] = []): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge registered in this registry. */
  gauge<T extends string = string>(name: string, help: string, labelNames: readonly T[] = []): Gauge<T> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  /**
   * `defaultMetrics`: Node's process metrics. `requestThread`: the registry of a request thread
   * (issue 16), which holds only what requests update: the process reports health, the store
   * series and the HTTP views over every thread's requests (threads/thread-metrics.ts).
   */
  constructor(health: HealthRegistry, options: { defaultMetrics?: boolean; requestThread?: boolean } = {}) {
    this.registry.setDefaultLabels({ application: 'uid2-operator' });
    if (options.requestThread) return;
    new Gauge({
      name: 'uid2_component_health',
      help: '1 when the component is healthy, else 0',
      labelNames: ['component'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [name, status] of health.entries()) this.set({ component: name }, status.healthy ? 1 : 0);
      },
    });
    // Upstream's HTTP server series, as views of the two buffered series above (no per-request cost).
    registerVertxHttpView(this.registry, this.httpRequests, this.httpDuration);
    if (options.defaultMetrics) {
      // Node's process and runtime metrics: CPU, memory, heap, GC, event-loop lag, handles.
      collectDefaultMetrics({ register: this.registry });
      registerRuntimeLimits(this.registry);
    }
  }
}
