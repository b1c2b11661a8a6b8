/**
 * A histogram whose observation is a short loop over the bucket bounds, one typed-array add, and
 * the sum and count (buffered-metric.ts). Exported exactly as prom-client's Histogram exports
 * itself: per series, one cumulative `_bucket` per bound (`le` as the number), `le="+Inf"`, `_sum`
 * and `_count`, with the series labels carried as `sharedLabels` for the text format and merged
 * after `le` for JSON (what `Registry.getMetricsAsString` and cluster aggregation expect).
 */
import { BufferedMetric, type BufferedMetricConfig, type Series, type SeriesLabels } from './buffered-metric.ts';

export class HistogramSeries implements Series {
  /** Non-cumulative counts; index `bounds.length` holds observations above the last bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** Highest value observed since the last `takeWindowMax` (the `_max` of a Micrometer timer). */
  windowMax = 0;
  live = false;

  constructor(
    readonly labels: SeriesLabels,
    private readonly owner: BufferedHistogram,
  ) {
    this.counts = new Float64Array(owner.bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`histogram ${this.owner.name} cannot observe ${value}`);
    const bounds = this.owner.bounds;
    let i = 0;
    // First bound with value <= bound (prom-client's `findBound`); the bounds are few and sorted.
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
    if (value > this.windowMax) this.windowMax = value;
    if (!this.live) this.owner.enlist(this);
  }

  /** The highest value since the last call, and a new window (read at scrape time only). */
  takeWindowMax(): number {
    const max = this.windowMax;
    this.windowMax = 0;
    return max;
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.windowMax = 0;
  }
}

/** One exported line's value, in prom-client's `getForPromString` shape. */
interface PromStringValue {
  labels: Record<string, string | number>;
  sharedLabels: SeriesLabels;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export class BufferedHistogram extends BufferedMetric<HistogramSeries> {
  readonly type = 'histogram';
  readonly bounds: Float64Array;
  /** The bounds as given, for the `le` label (a number, as prom-client exports it). */
  private readonly upperBounds: readonly number[];

  constructor(config: BufferedMetricConfig & { readonly buckets: readonly number[] }) {
    super(config);
    if (config.labelNames.includes('le')) throw new Error('le is a reserved label name');
    const sorted = config.buckets.every((b, i) => Number.isFinite(b) && (i === 0 || b > config.buckets[i - 1]!));
    if (config.buckets.length === 0 || !sorted) throw new Error(`histogram ${config.name} needs increasing finite buckets`);
    this.upperBounds = [...config.buckets];
    this.bounds = Float64Array.from(config.buckets);
  }

  protected createSeries(labels: SeriesLabels): HistogramSeries {
    return new HistogramSeries(labels, this);
  }

  /** What `Registry.getMetricsAsString` reads. */
  async getForPromString() {
    const bucket = `${this.name}_bucket`;
    const values: PromStringValue[] = [];
    for (const s of this.live) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: s.labels, value: cumulative, metricName: bucket, exemplar: null });
      });
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** What `Registry.getMetricsAsJSON` (and so cluster aggregation) reads: labels merged after `le`. */
  async get() {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
    };
  }
}
