/**
 * The upstream operator's HTTP server metrics, under the names Vert.x Micrometer gives them in
 * Prometheus (`OP:.../Main.java` `createVertx`/`setupMetrics`: labels `HTTP_METHOD`, `HTTP_CODE`,
 * `HTTP_PATH`, 404s denied, response-time percentiles 0.9/0.95/0.99, common tag `application`;
 * names from `vert-x3/vertx-micrometer-metrics:.../MetricsNaming.java` `v4Names()` and
 * `VertxHttpServerMetrics.java`):
 *
 * | name                                         | type    | labels                |
 * | vertx_http_server_requests_total             | counter | code, method, path    |
 * | vertx_http_server_response_time_seconds      | summary | code, method, path, quantile |
 * | vertx_http_server_response_time_seconds_max  | gauge   | code, method, path    |
 *
 * Nothing more is recorded per request: these are views, computed at scrape time, of the two
 * series `observeResponse` already keeps (`uid2_http_requests_total`, and the histogram
 * `uid2_http_request_duration_seconds`, whose buckets give the windowed quantiles). The path is
 * upstream's `HTTPPathMetricFilter` value: an endpoint's path, or `/unknown` for anything else.
 */
import type { Metric, Registry } from 'prom-client';
import type { BufferedCounter } from './buffered-counter.ts';
import type { BufferedHistogram, HistogramSeries } from './buffered-histogram.ts';
import { quantileOf, ScrapeWindow } from './scrape-window.ts';

/** Upstream `Endpoints.pathSet()` minus the static SDK files, which this operator does not serve. */
export const UPSTREAM_ENDPOINTS: ReadonlySet<string> = new Set([
  '/ops/healthcheck',
  '/v2/token/generate',
  '/v2/token/refresh',
  '/v2/token/validate',
  '/v2/identity/buckets',
  '/v2/identity/map',
  '/v2/key/latest',
  '/v2/key/sharing',
  '/v2/key/bidstream',
  '/v2/token/logout',
  '/v2/optout/status',
  '/v2/token/client-generate',
  '/v3/identity/map',
]);

const QUANTILES = [0.9, 0.95, 0.99] as const;

type Labels = Record<string, string>;

/** Upstream's path label for one of our route patterns. */
export function upstreamPath(route: string): string {
  return UPSTREAM_ENDPOINTS.has(route) ? route : '/unknown';
}

function viewLabels(labels: Labels): Labels {
  return { code: labels.code!, method: labels.method!, path: upstreamPath(labels.path!) };
}

function keyOf(l: Labels): string {
  return `${l.code}\u0000${l.method}\u0000${l.path}`;
}

interface Line {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** A registry entry whose values are computed when the registry is read. */
function register(registry: Registry, name: string, help: string, type: 'counter' | 'gauge' | 'summary', values: () => Line[], aggregator = 'sum'): void {
  const entry = {
    name,
    help,
    type,
    // How several processes' registries merge (prom-client `AggregatorRegistry`).
    aggregator,
    get: async () => ({ name, help, type, aggregator, values: values() }),
    reset: () => undefined,
  };
  registry.registerMetric(entry as unknown as Metric);
}

export function registerVertxHttpView(registry: Registry, requests: BufferedCounter, duration: BufferedHistogram, now?: () => number): void {
  const window = new ScrapeWindow<HistogramSeries>(now);

  register(registry, 'vertx_http_server_requests_total', 'Number of processed requests', 'counter', () => {
    // Several route patterns can map to `/unknown`: their counts add up.
    const merged = new Map<string, Line>();
    for (const s of requests.liveSeries()) {
      const labels = viewLabels(s.labels);
      const key = keyOf(labels);
      const line = merged.get(key);
      if (line) line.value += s.value;
      else merged.set(key, { labels, value: s.value });
    }
    return [...merged.values()];
  });

  // Several route patterns can map to one upstream label set: their windows are added up.
  const groups = (): Map<string, { labels: Labels; series: HistogramSeries[] }> => {
    const byKey = new Map<string, { labels: Labels; series: HistogramSeries[] }>();
    for (const s of duration.liveSeries()) {
      const labels = viewLabels(s.labels);
      const key = keyOf(labels);
      const group = byKey.get(key);
      if (group) group.series.push(s);
      else byKey.set(key, { labels, series: [s] });
    }
    return byKey;
  };
  const windowMax = (series: HistogramSeries[]): number => Math.max(...series.map((s) => window.max(s)));

  // Registered before the `_max` gauge, so a scrape reads it first and it starts the window.
  register(registry, 'vertx_http_server_response_time_seconds', 'Request processing time', 'summary', () => {
    window.begin(duration.liveSeries());
    const lines: Line[] = [];
    for (const { labels, series } of groups().values()) {
      const counts = new Float64Array(duration.bounds.length + 1);
      let count = 0;
      let sum = 0;
      for (const s of series) {
        window.counts(s).forEach((c, i) => (counts[i] += c));
        count += s.count;
        sum += s.sum;
      }
      const max = windowMax(series);
      for (const q of QUANTILES) lines.push({ labels: { ...labels, quantile: String(q) }, value: quantileOf(counts, duration.bounds, q, max) });
      lines.push({ labels, value: count, metricName: 'vertx_http_server_response_time_seconds_count' });
      lines.push({ labels, value: sum, metricName: 'vertx_http_server_response_time_seconds_sum' });
    }
    return lines;
  });

  register(
    registry,
    'vertx_http_server_response_time_seconds_max',
    'Request processing time',
    'gauge',
    () => [...groups().values()].map(({ labels, series }) => ({ labels, value: windowMax(series) })),
    'max',
  );
}
