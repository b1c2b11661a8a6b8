/**
 * Prometheus metrics of the operator (spec §13.2), in a registry owned by the app instance
 * (no global registry, so tests can run several apps in one process). Names follow upstream
 * where it has them; HTTP metrics use the route pattern, never the raw URL.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BoundLabels } from './bound-labels.ts';
import type { HealthRegistry } from './health.ts';

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly httpRequests = this.counter('uid2_http_requests_total', 'HTTP requests by method, route and status code', ['method', 'path', 'code']);

  readonly httpDuration = new Histogram({
    name: 'uid2_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'path', 'code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly tokenResponses = this.counter(
    'uid2_token_response_status_count',
    'Token endpoint responses by site and status',
    ['site_id', 'token_endpoint', 'token_response_status', 'cstg'],
  );

  readonly siteKeysetStatus = this.counter('uid2_site_keyset_status', 'Site key selection outcome (spec §8.2)', ['status']);

  /** Hot-path children (bound-labels.ts): request counter and latency by method, route, code. */
  readonly httpByRoute = new BoundLabels(([method, path, code]) => {
    const labels = { method, path, code };
    return { requests: this.httpRequests.labels(labels), duration: this.httpDuration.labels(labels) };
  });

  /** Token outcome children by site, endpoint, status and CSTG flag. */
  readonly tokenResponseBy = new BoundLabels(([site_id, token_endpoint, token_response_status, cstg]) =>
    this.tokenResponses.labels({ site_id, token_endpoint, token_response_status, cstg }),
  );

  readonly siteKeysetStatusBy = new BoundLabels(([status]) => this.siteKeysetStatus.labels({ status }));
  readonly storeVersion = this.gauge('uid2_config_store_version', 'Version of the loaded store snapshot', ['store']);
  readonly storeEntryCount = this.gauge('uid2_config_store_entry_count', 'Entries in the loaded store snapshot', ['store']);
  readonly storeRefreshed = this.counter('uid2_config_store_refreshed_total', 'Successful store reloads', ['store']);

  readonly storeRefreshFailures = this.counter(
    'uid2_config_store_refresh_failures_total',
    'Failed store refresh attempts (the last good snapshot stays in force)',
    ['store'],
  );
  readonly storeConsecutiveFailures = this.gauge('uid2_config_store_consecutive_refresh_failures', 'Refresh failures since the last success', ['store']);

  /** A counter registered in this registry (prom-client types its label names). */
  counter<T extends string = string>(name: string, help: string, labelNames: readonly T[] = []): Counter<T> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  /** A gauge registered in this registry. */
  gauge<T extends string = string>(name: string, help: string, labelNames: readonly T[] = []): Gauge<T> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }

  constructor(health: HealthRegistry, options: { defaultMetrics?: boolean } = {}) {
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
    this.registry.setDefaultLabels({ application: 'uid2-operator' });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
