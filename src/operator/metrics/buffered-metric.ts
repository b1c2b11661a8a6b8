/**
 * Metrics whose per-request update is a plain number add (issue 6, hot path; spec §13.2 names the
 * series). prom-client's own `labels(...)` children still hash and validate the label object on
 * every `inc`/`observe`; here each label combination is a series object holding its own numbers,
 * and the label object is only read when the registry is scraped.
 *
 * A subclass is registered in a prom-client `Registry` as a metric object: the registry only needs
 * `name`, `help`, `type`, `aggregator`, `get()` (and optionally `getForPromString()`) and `reset()`
 * (prom-client's own `AggregatorRegistry.aggregate` registers plain objects the same way). The text
 * and JSON it yields are exactly what prom-client's Counter/Histogram yield for the same updates, so
 * `/metrics`, cluster aggregation over `getMetricsAsJSON()` and `resetMetrics()` keep working.
 */
import type { Metric, Registry } from 'prom-client';

export type SeriesLabels = Record<string, string>;

/** One label combination's numbers. */
export interface Series {
  readonly labels: SeriesLabels;
  /** Set on the first update; an unused series is not exported (prom-client's behaviour). */
  live: boolean;
  /** Back to zero (registry reset). */
  clear(): void;
}

export interface BufferedMetricConfig {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly registers: readonly Registry[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export abstract class BufferedMetric<S extends Series> {
  /** Mutable: an OpenMetrics registry rewrites counter names when it serializes. */
  name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram' | 'summary';

  private readonly byKey = new Map<string, S>();
  /** Series in the order of their first update, which is prom-client's export order. */
  protected live: S[] = [];

  constructor(config: BufferedMetricConfig) {
    if (!METRIC_NAME.test(config.name)) throw new Error(`invalid metric name ${config.name}`);
    if (config.labelNames.length === 0 || !config.labelNames.every((l) => LABEL_NAME.test(l))) {
      // Unlabelled series have their own export quirks in prom-client; nothing here needs them.
      throw new Error(`metric ${config.name} needs valid label names`);
    }
    this.name = config.name;
    this.help = config.help;
    this.labelNames = [...config.labelNames];
    // The registry's declared parameter is prom-client's class union; it only reads the members above.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Metric);
  }

  protected abstract createSeries(labels: SeriesLabels): S;

  /**
   * The series for these label values, in `labelNames` order. Callers keep the result (see
   * bound-labels.ts): this lookup builds a key, the series' update does not.
   */
  series(values: readonly string[]): S {
    if (values.length !== this.labelNames.length) throw new Error(`metric ${this.name} takes ${this.labelNames.length} label values`);
    const key = values.join('\u0000');
    let series = this.byKey.get(key);
    if (series === undefined) {
      // Label object in declared order, as a prom-client caller building `{ a, b, c }` would.
      const labels: SeriesLabels = {};
      this.labelNames.forEach((name, i) => (labels[name] = String(values[i])));
      series = this.createSeries(labels);
      this.byKey.set(key, series);
    }
    return series;
  }

  /** The series updated since construction or the last reset, in first-update order (scrape-time views). */
  liveSeries(): readonly S[] {
    return this.live;
  }

  /** Called by a series on its first update since construction or the last reset. */
  enlist(series: S): void {
    series.live = true;
    this.live.push(series);
  }

  /** `Registry.resetMetrics()`: every series back to zero and unexported; series objects stay valid. */
  reset(): void {
    for (const series of this.live) {
      series.clear();
      series.live = false;
    }
    this.live = [];
  }
}
