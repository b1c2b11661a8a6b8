/**
 * Prometheus metrics of the operator (spec §13.2), in a registry owned by the app instance
 * (no global registry, so tests can run several apps in one process). Names follow upstream
 * where it has them; HTTP metrics use the route pattern, never the raw URL.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HealthRegistry } from './health.ts';

export class OperatorMetrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'uid2_http_requests_total',
    help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'path', 'code'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'uid2_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['method', 'path', 'code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly tokenResponses = new Counter({
    name: 'uid2_token_response_status_count',
    help: 'Token endpoint responses by site and status',
    labelNames: ['site_id', 'token_endpoint', 'token_response_status', 'cstg'] as const,
    registers: [this.registry],
  });

  readonly siteKeysetStatus = new Counter({
    name: 'uid2_site_keyset_status',
    help: 'Site key selection outcome (spec §8.2)',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  readonly storeVersion = new Gauge({
    name: 'uid2_config_store_version',
    help: 'Version of the loaded store snapshot',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  readonly storeEntryCount = new Gauge({
    name: 'uid2_config_store_entry_count',
    help: 'Entries in the loaded store snapshot',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  readonly storeRefreshed = new Counter({
    name: 'uid2_config_store_refreshed_total',
    help: 'Successful store reloads',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  readonly storeRefreshFailures = new Counter({
    name: 'uid2_config_store_refresh_failures_total',
    help: 'Failed store refresh attempts (the last good snapshot stays in force)',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  readonly storeConsecutiveFailures = new Gauge({
    name: 'uid2_config_store_consecutive_refresh_failures',
    help: 'Refresh failures since the last success',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

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
