/**
 * Assembles and runs an operator in local mode (docs/architecture.md "Stores"): config → stores
 * (loaded once, refused when unusable) → app → listen, plus the metrics port and store polling.
 * `createOperator` stops before listening so tests can use `app.inject()`.
 */
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { installNativeKernels } from '../native/index.ts';
import { buildOperatorApp } from './app.ts';
import type { ConfigSources } from './config/config-layers.ts';
import { loadOperatorConfig, type OperatorConfig } from './config/operator-config.ts';
import { systemClock, type Clock, type OperatorDeps } from './deps.ts';
import { HealthRegistry } from './metrics/health.ts';
import { startMetricsServer, type MetricsServer } from './metrics/metrics-server.ts';
import { OperatorMetrics } from './metrics/operator-metrics.ts';
import { PodTerminationMonitor } from './metrics/pod-termination-monitor.ts';
import { HttpOptOutWriter, type OptOutWriter } from './optout/optout-writer.ts';
import { createOperatorStores, storeBindings } from './stores/operator-stores.ts';
import { effectiveRuntime } from './stores/runtime-config-store.ts';
import { assertStoresUsable } from './stores/store-readiness.ts';
import { LocalStoreSource, type StoreSource } from './stores/store-source.ts';
import { AttestedSync, createAttestedSync } from './sync/attested-sync.ts';
import { StoreRefresher } from './sync/store-refresher.ts';
import { useJobThreads } from './threads/job-thread.ts';
// Native AES-GCM/SHA-256 kernels when the addon is built (issue 6); node:crypto otherwise.
installNativeKernels();

export interface OperatorOptions extends ConfigSources {
  /**
   * Local mode: the directory metadata paths and locations resolve against. Not needed in
   * attested mode (`core_attest_url` set), where every store comes from Core.
   */
  readonly dataDir?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Replaces the HTTP opt-out writer. */
  readonly optOutWriter?: OptOutWriter;
  /** Replaces the local store source (attested mode, issue 4). */
  readonly source?: StoreSource;
}

export interface Operator {
  readonly app: FastifyInstance;
  readonly deps: OperatorDeps;
  readonly refresher: StoreRefresher;
}

export function createLogger(): Logger {
  return pino({ base: { application: 'uid2-operator' }, level: process.env.LOG_LEVEL ?? 'info' });
}

export class OperatorModeError extends Error {
  readonly code = 'ERR_OPERATOR_MODE';

  constructor(message: string) {
    super(message);
    this.name = 'OperatorModeError';
  }
}

/** Local mode reads the stores from a data directory; without one there is nothing to serve. */
function localSource(dataDir: string | undefined, config: OperatorConfig): StoreSource {
  if (dataDir === undefined) {
    throw new OperatorModeError('no stores to serve: give --data DIR (local mode) or set core_attest_url (attested mode, stores from Core)');
  }
  return new LocalStoreSource(dataDir, config.metadataPaths);
}

/** Loads config and stores and builds the app; throws a clear error when either is unusable. */
export async function createOperator(o: OperatorOptions): Promise<Operator> {
  const config: OperatorConfig = loadOperatorConfig(o);
  const clock = o.clock ?? systemClock;
  const logger = o.logger ?? createLogger();
  const health = new HealthRegistry();
  const metrics = new OperatorMetrics(health, { defaultMetrics: true });
  const stores = createOperatorStores();
  // Attested mode (core_attest_url set, spec §12): attest to Core, sync stores and opt-outs from Core/OptOut.
  const refresher =
    config.coreAttestUrl !== undefined && o.source === undefined
      ? createAttestedSync(config, { stores, health, metrics, logger, clock })
      : new StoreRefresher({ source: o.source ?? localSource(o.dataDir, config), bindings: storeBindings(config, stores), now: () => clock.now(), metrics, health, logger });
  await refresher.loadAll();
  assertStoresUsable(stores, clock.now());
  effectiveRuntime(config, stores.runtimeConfig.peek());
  // Attested operators attest their opt-out writes too: OptOut checks them as Core does (issue 14 §2).
  const attestationHeaders = refresher instanceof AttestedSync ? () => refresher.optOutAttestationHeaders() : undefined;
  const optOutWriter =
    o.optOutWriter ??
    new HttpOptOutWriter({ uri: config.optoutApiUri, operatorKey: config.coreApiToken, instanceIdPrefix: config.uidInstanceIdPrefix, attestationHeaders });
  const deps: OperatorDeps = { config, stores, clock, metrics, health, logger, optOutWriter };
  health.register('http-server', 'not listening');
  const app = await buildOperatorApp(deps);
  return { app, deps, refresher };
}

export interface RunningOperator extends Operator {
  readonly port: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

/** Starts listening on the configured host/ports and polling the stores. */
export async function startOperator(o: OperatorOptions): Promise<RunningOperator> {
  const op = await createOperator(o);
  const { config, health, metrics } = op.deps;
  await op.app.listen({ port: config.port, host: config.host });
  health.set('http-server', true);
  let metricsServer: MetricsServer;
  try {
    metricsServer = await startMetricsServer(metrics.registry, config.metricsPort, config.host);
  } catch (err) {
    await op.app.close();
    throw err;
  }
  // Serving now: store refreshes hand their large files to job threads (issue 6).
  useJobThreads();
  op.refresher.start();
  const { file: podTerminationFile, checkIntervalMs } = config.podTermination;
  const podMonitor = podTerminationFile === undefined ? undefined : new PodTerminationMonitor({ file: podTerminationFile, intervalMs: checkIntervalMs, health });
  await podMonitor?.start();
  const address = op.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  let closing: Promise<void> | undefined;
  return {
    ...op,
    port,
    metricsPort: metricsServer.port,
    close() {
      closing ??= (async () => {
        op.refresher.stop();
        podMonitor?.stop();
        health.set('http-server', false, 'shutting down');
        await Promise.all([op.app.close(), metricsServer.close()]);
      })();
      return closing;
    },
  };
}
