/**
 * The operator as `uid2 operator` runs it (issue 16): one process that attests once, syncs every
 * store once and holds each once (large arrays in shared memory), and N request threads that
 * answer on the port (threads/request-threads.ts). The process itself answers only the metrics
 * port, merged from every thread.
 */
import type { ServerLimits } from '../http/server-limits.ts';
import { MAX_REQUEST_BODY_SIZE } from './http/pipeline.ts';
import { loadOperatorConfig } from './config/config-layers.ts';
import { createLogger, createOperator, serveOperator, type OperatorOptions, type RunningOperator } from './operator-service.ts';
import { RequestThreads } from './threads/request-threads.ts';

export interface ThreadedOperatorOptions extends OperatorOptions {
  /** Request threads (at least 1). */
  readonly threads: number;
  readonly limits?: ServerLimits;
}

export interface ThreadedOperator extends RunningOperator {
  readonly threads: RequestThreads;
}

/**
 * One thread's share of the process's limits: the body budget and the connection cap are split
 * evenly (each thread keeps room for one largest body); the timeouts hold for every thread.
 */
export function perThread(limits: ServerLimits, threads: number): ServerLimits {
  return {
    ...limits,
    maxBufferedBodyBytes: Math.max(MAX_REQUEST_BODY_SIZE, Math.floor(limits.maxBufferedBodyBytes / threads)),
    maxConnections: Math.max(1, Math.floor(limits.maxConnections / threads)),
  };
}

export async function startThreadedOperator(o: ThreadedOperatorOptions): Promise<ThreadedOperator> {
  const sources = { files: o.files, env: o.env, flags: o.flags };
  const config = loadOperatorConfig(sources);
  const logger = o.logger ?? createLogger();
  const threads = new RequestThreads({
    threads: o.threads,
    config,
    host: config.host,
    port: config.port,
    limits: perThread(o.limits ?? config.serverLimits, o.threads),
    logger,
    replayCapacity: config.replay.capacity,
    replayClientShare: config.replay.clientShare,
    stallMs: config.requestThreadStallMs,
    attested: config.coreAttestUrl !== undefined && o.source === undefined,
  });
  // The threads load their modules while the process loads its stores.
  threads.spawnAll();
  let op;
  try {
    op = await createOperator({ ...o, logger, sharedStores: true });
  } catch (err) {
    await threads.close(0);
    throw err;
  }
  const { stores, health, metrics } = op.deps;
  await threads.start({ stores, health, metrics, attestationHeaders: op.attestationHeaders, fatal: op.exit });
  // The usage log: every thread counts, the process writes one line per endpoint and site.
  const usage = setInterval(() => {
    void threads.usageTallies().then((tallies) => {
      for (const t of tallies) op.usageLog.merge(t);
      op.usageLog.flush();
    });
  }, config.usageLog.intervalMs);
  usage.unref();
  const running = await serveOperator(op, {
    port: threads.port,
    close: async (grace) => {
      clearInterval(usage);
      await threads.close(grace);
    },
    metrics: { metrics: () => threads.metricsText(), contentType: metrics.registry.contentType },
    inProcess: false,
  });
  return { ...running, threads };
}
