/**
 * One Prometheus endpoint for the whole cluster (spec §13.2, port 9080): the primary asks every
 * worker for its registry as JSON over the cluster IPC channel and merges them with prom-client's
 * `AggregatorRegistry.aggregate`. Counters and histograms add up. Operator gauges describe state
 * that every worker holds (store versions, entry counts, health), so adding them would be wrong:
 * health takes the minimum (the cluster is healthy only if every worker is), the others the
 * maximum. Node's process metrics keep prom-client's own aggregators.
 */
import type { Worker } from 'node:cluster';
import { AggregatorRegistry, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { sendToWorker } from './worker-protocol.ts';

type MetricJson = MetricObjectWithValues<MetricValue<string>> & { aggregator?: string };

export const METRICS_REQUEST = 'uid2-metrics-req';
export const METRICS_RESPONSE = 'uid2-metrics-res';
const WORKER_TIMEOUT_MS = 2000;

/** Worker side: the registry as JSON, with the gauge aggregators described above. */
export async function metricsForPrimary(registry: Registry): Promise<MetricJson[]> {
  const metrics = (await registry.getMetricsAsJSON()) as MetricJson[];
  return metrics.map((m) => {
    if (String(m.type) !== 'gauge' || !m.name.startsWith('uid2_') || (m.aggregator ?? 'sum') !== 'sum') return m;
    return { ...m, aggregator: m.name === 'uid2_component_health' ? 'min' : 'max' };
  });
}

/** Primary side: a registry whose text is the merge of every live worker's, fetched per scrape. */
export class ClusterRegistry extends Registry {
  private nextId = 0;

  constructor(private readonly workers: () => readonly Worker[]) {
    super();
  }

  private ask(worker: Worker): Promise<MetricJson[] | undefined> {
    const id = ++this.nextId;
    return new Promise((resolve) => {
      const done = (value: MetricJson[] | undefined) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        resolve(value);
      };
      // A worker that died or hangs is left out of this scrape rather than failing it.
      const timer = setTimeout(() => done(undefined), WORKER_TIMEOUT_MS);
      const onMessage = (m: { type?: string; id?: number; metrics?: MetricJson[] }) => {
        if (m?.type === METRICS_RESPONSE && m.id === id) done(m.metrics);
      };
      worker.on('message', onMessage);
      sendToWorker(worker, { type: METRICS_REQUEST, id }, () => done(undefined));
    });
  }

  override async metrics(): Promise<string> {
    const answers = await Promise.all(this.workers().map((w) => this.ask(w)));
    const present = answers.filter((a): a is MetricJson[] => a !== undefined);
    return AggregatorRegistry.aggregate(present).metrics();
  }
}
