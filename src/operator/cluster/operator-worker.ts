/**
 * Entry point of one cluster worker: builds its own stores from the shared source, listens on the
 * shared port (node:cluster hands it connections) and polls the stores like a single operator, so
 * store refreshes reach every worker. Stops gracefully on the primary's shutdown message, on
 * SIGTERM, or when the primary goes away. Ctrl-C reaches the whole process group; the primary
 * decides, so SIGINT is ignored here.
 */
import cluster from 'node:cluster';
import pino from 'pino';
import { createReplayChecker } from '../http/cluster-replay-guard.ts';
import { startOperator, type RunningOperator } from '../operator-service.ts';
import { METRICS_REQUEST, METRICS_RESPONSE, metricsForPrimary } from './cluster-metrics.ts';
import { WORKER_OPTIONS_ENV, decodeWorkerOptions, isShutdownMessage, type WorkerToPrimary } from './worker-protocol.ts';

function send(message: WorkerToPrimary): void {
  if (process.connected) process.send?.(message);
}

async function main(): Promise<void> {
  const options = decodeWorkerOptions(process.env[WORKER_OPTIONS_ENV]);
  const logger = pino({ base: { application: 'uid2-operator', worker: cluster.worker?.id }, level: process.env.LOG_LEVEL ?? 'info' });
  let op: RunningOperator | undefined;
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    const closed = op ? op.close() : Promise.resolve();
    void closed.finally(() => process.exit(code));
  };
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => stop(0));
  process.on('disconnect', () => stop(0));
  process.on('message', (m: { type?: string; id?: number } | null) => {
    if (isShutdownMessage(m)) stop(0);
    else if (m?.type === METRICS_REQUEST && op) {
      void metricsForPrimary(op.deps.metrics.registry).then((metrics) => {
        if (process.connected) process.send?.({ type: METRICS_RESPONSE, id: m.id, metrics });
      });
    }
  });
  try {
    op = await startOperator({ ...options, env: process.env, logger, replay: createReplayChecker(Date.now) });
  } catch (err) {
    // Config and store errors are written without data values (see StoreRefresher.reasonOf).
    send({ type: 'uid2-failed', reason: err instanceof Error ? err.message : 'operator failed to start' });
    process.exit(1);
  }
  if (stopping) return;
  send({ type: 'uid2-ready', port: op.port, metricsPort: op.metricsPort, host: op.deps.config.host });
}

void main();
