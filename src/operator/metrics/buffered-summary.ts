/**
 * A Micrometer `DistributionSummary` (or `Timer`) without percentiles, as its Prometheus registry
 * exports it: a `summary` family with `<name>_count` and `<name>_sum`, and a separate gauge
 * `<name>_max` holding the largest value of the recent window (scrape-window.ts). An update is two
 * adds and a compare on the series object (buffered-metric.ts).
 */
import type { Metric } from 'prom-client';
import { BufferedMetric, type BufferedMetricConfig, type Series, type SeriesLabels } from './buffered-metric.ts';
import { ScrapeWindow } from './scrape-window.ts';

export class SummarySeries implements Series {
  count = 0;
  sum = 0;
  windowMax = 0;
  live = false;
  /** Unused: a summary without percentiles keeps no buckets (ScrapeWindow's source shape). */
  readonly counts = new Float64Array(0);

  constructor(
    readonly labels: SeriesLabels,
    private readonly owner: BufferedSummary,
  ) {}

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`summary ${this.owner.name} cannot observe ${value}`);
    this.count++;
    this.sum += value;
    if (value > this.windowMax) this.windowMax = value;
    if (!this.live) this.owner.enlist(this);
  }

  takeWindowMax(): number {
    const max = this.windowMax;
    this.windowMax = 0;
    return max;
  }

  clear(): void {
    this.count = 0;
    this.sum = 0;
    this.windowMax = 0;
  }
}

export class BufferedSummary extends BufferedMetric<SummarySeries> {
  readonly type = 'summary';
  private readonly window: ScrapeWindow<SummarySeries>;

  constructor(config: BufferedMetricConfig & { readonly now?: () => number }) {
    super(config);
    this.window = new ScrapeWindow(config.now);
    const maxName = `${config.name}_max`;
    const max = {
      name: maxName,
      help: config.help,
      type: 'gauge',
      aggregator: 'max',
      get: async () => ({ name: maxName, help: config.help, type: 'gauge', aggregator: 'max', values: this.maxValues() }),
      reset: () => undefined,
    };
    for (const registry of config.registers) registry.registerMetric(max as unknown as Metric);
  }

  protected createSeries(labels: SeriesLabels): SummarySeries {
    return new SummarySeries(labels, this);
  }

  private maxValues(): { labels: SeriesLabels; value: number }[] {
    return this.live.map((s) => ({ labels: s.labels, value: this.window.max(s) }));
  }

  async get() {
    this.window.begin(this.live);
    const values = this.live.flatMap((s) => [
      { labels: s.labels, value: s.count, metricName: `${this.name}_count` },
      { labels: s.labels, value: s.sum, metricName: `${this.name}_sum` },
    ]);
    return { name: this.name, help: this.help, type: 'summary', values, aggregator: this.aggregator };
  }
}
