/**
 * Buffered counters and summaries whose series are cached by label values (bound-labels.ts):
 * what the route-level upstream series (token-flow-metrics.ts, mapping-metrics.ts) are made of.
 */
import type { Registry } from 'prom-client';
import { BoundLabels } from './bound-labels.ts';
import { BufferedCounter, type CounterSeries } from './buffered-counter.ts';
import { BufferedSummary, type SummarySeries } from './buffered-summary.ts';

export function boundCounter(registry: Registry, name: string, help: string, labelNames: string[]): BoundLabels<CounterSeries> {
  const metric = new BufferedCounter({ name, help, labelNames, registers: [registry] });
  return new BoundLabels((values) => metric.series(values));
}

export function boundSummary(registry: Registry, name: string, help: string, labelNames: string[]): BoundLabels<SummarySeries> {
  const metric = new BufferedSummary({ name, help, labelNames, registers: [registry] });
  return new BoundLabels((values) => metric.series(values));
}
