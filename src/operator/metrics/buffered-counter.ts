/**
 * A counter whose increment is one add on the series object (buffered-metric.ts). Exported as
 * prom-client's Counter exports itself: one `{ value, labels }` per series, type `counter`.
 */
import { BufferedMetric, type Series, type SeriesLabels } from './buffered-metric.ts';

export class CounterSeries implements Series {
  value = 0;
  live = false;

  constructor(
    readonly labels: SeriesLabels,
    private readonly owner: BufferedCounter,
  ) {}

  inc(by = 1): void {
    // prom-client rejects negative and infinite increments; NaN is rejected here too.
    if (!(by >= 0 && by !== Infinity)) throw new TypeError(`counter ${this.owner.name} cannot be increased by ${by}`);
    this.value += by;
    if (!this.live) this.owner.enlist(this);
  }

  clear(): void {
    this.value = 0;
  }
}

export class BufferedCounter extends BufferedMetric<CounterSeries> {
  readonly type = 'counter';

  protected createSeries(labels: SeriesLabels): CounterSeries {
    return new CounterSeries(labels, this);
  }

  /** prom-client's `MetricObjectWithValues`; fresh value objects, as the registry mutates them. */
  async get() {
    return {
      help: this.help,
      name: this.name,
      type: this.type,
      values: this.live.map((s) => ({ value: s.value, labels: s.labels })),
      aggregator: this.aggregator,
    };
  }
}
