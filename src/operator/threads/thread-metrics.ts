/**
 * One Prometheus scrape for the whole operator process (issue 16): the process's own registry
 * (Node's process metrics, health, stores, attestation, the HTTP views) merged with what every
 * request thread counted.
 *
 * At each scrape the process asks every live thread for a snapshot: its registry as JSON (request
 * series only: tokens, mapping, client versions, ...) and the raw numbers of its two HTTP series.
 * The HTTP numbers of all threads are added into the process's own HTTP series, so the upstream
 * views over them (metrics/vertx-http-view.ts: the summary quantiles and `_max` of the last
 * window) are computed once over every request; the other series are added by prom-client's
 * `AggregatorRegistry.aggregate`. A thread that died keeps counting with its last snapshot, so no
 * counter of the process goes backwards when a thread is replaced.
 */
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { SeriesLabels } from '../metrics/buffered-metric.ts';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';

type MetricJson = MetricObjectWithValues<MetricValue<string>>;

interface CounterNumbers {
  readonly labels: SeriesLabels;
  readonly value: number;
}

interface HistogramNumbers {
  readonly labels: SeriesLabels;
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
  readonly windowMax: number;
}

export interface ThreadMetricsSnapshot {
  readonly json: readonly MetricJson[];
  readonly requests: readonly CounterNumbers[];
  readonly duration: readonly HistogramNumbers[];
}

/** Thread side: what this thread counted (its HTTP window max starts again). */
export async function threadMetricsSnapshot(metrics: OperatorMetrics): Promise<ThreadMetricsSnapshot> {
  const skip = new Set([metrics.httpRequests.name, metrics.httpDuration.name]);
  const json = ((await metrics.registry.getMetricsAsJSON()) as MetricJson[]).filter((m) => !skip.has(m.name));
  return {
    json,
    requests: metrics.httpRequests.liveSeries().map((s) => ({ labels: s.labels, value: s.value })),
    duration: metrics.httpDuration.liveSeries().map((s) => ({ labels: s.labels, counts: [...s.counts], sum: s.sum, count: s.count, windowMax: s.takeWindowMax() })),
  };
}

const keyOf = (labels: SeriesLabels, names: readonly string[]) => names.map((n) => labels[n]);

/** Process side: the merged text of a scrape. */
export class MergedMetrics {
  /** Snapshots of threads that died: they keep counting. */
  private readonly retired: ThreadMetricsSnapshot[] = [];

  constructor(private readonly own: OperatorMetrics) {}

  /** A thread is gone: its last snapshot stays part of every merge. */
  retire(last: ThreadMetricsSnapshot | undefined): void {
    if (last !== undefined) this.retired.push({ ...last, duration: last.duration.map((d) => ({ ...d, windowMax: 0 })) });
  }

  async text(live: readonly ThreadMetricsSnapshot[]): Promise<string> {
    const all = [...live, ...this.retired];
    const { httpRequests, httpDuration } = this.own;
    const requestTotals = new Map<string, { labels: SeriesLabels; value: number }>();
    for (const s of all) {
      for (const r of s.requests) {
        const key = keyOf(r.labels, httpRequests.labelNames).join('\u0000');
        const total = requestTotals.get(key);
        if (total) total.value += r.value;
        else requestTotals.set(key, { labels: r.labels, value: r.value });
      }
    }
    for (const { labels, value } of requestTotals.values()) {
      const series = httpRequests.series(keyOf(labels, httpRequests.labelNames));
      series.inc(0);
      series.value = value;
    }
    const durationSeries = new Set<ReturnType<typeof httpDuration.series>>();
    for (const s of all) {
      for (const d of s.duration) {
        const series = httpDuration.series(keyOf(d.labels, httpDuration.labelNames));
        if (!durationSeries.has(series)) {
          durationSeries.add(series);
          series.clear();
          if (!series.live) httpDuration.enlist(series);
        }
        d.counts.forEach((c, i) => (series.counts[i] += c));
        series.sum += d.sum;
        series.count += d.count;
        series.windowMax = Math.max(series.windowMax, d.windowMax);
      }
    }
    const own = (await this.own.registry.getMetricsAsJSON()) as MetricJson[];
    return AggregatorRegistry.aggregate([own, ...all.map((s) => [...s.json])]).metrics();
  }
}
