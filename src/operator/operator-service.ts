/**
 * Assembles and runs an operator (docs/architecture.md "Stores"): config → stores (loaded once,
 * refused when unusable) → request pipeline → HTTP server, plus the metrics port and store
 * polling. `createOperator` stops before listening: its `pipeline.handle` answers a request in
 * memory (the fuzzer); `listenOperator` serves it on a socket.
 */
import pino, { type Logger } from 'pino';
import { installNativeKernels } from '../native/index.ts';
import { loadOperatorConfig, type ConfigSources } from './config/config-layers.ts';
import type { OperatorConfig } from './config/operator-config.ts';
import { systemClock, type Clock, type OperatorDeps } from './deps.ts';
import { ClientVersionMetrics } from './http/client-version.ts';
import type { ServerLimits } from '../http/server-limits.ts';
import { Pipeline } from './http/pipeline.ts';
import { ReplayGuard, type ReplayChecker } from './http/replay-guard.ts';
import { OperatorServer } from './http/server.ts';
import { HealthRegistry } from './metrics/health.ts';
import { startMetricsServer, type MetricsServer, type MetricsSource } from './metrics/metrics-server.ts';
import { OperatorMetrics } from './metrics/operator-metrics.ts';
import { RejectedOriginLog } from './metrics/rejected-origin-log.ts';
import { StateMetrics } from './metrics/state-metrics.ts';
import { UsageLog } from './metrics/usage-log.ts';
import { PodTerminationMonitor } from './metrics/pod-termination-monitor.ts';
import { HttpOptOutWriter, type OptOutWriter } from './optout/optout-writer.ts';
import { routeTable } from './routes/index.ts';
import { createOperatorStores, storeBindings } from './stores/operator-stores.ts';
import { effectiveRuntime } from './stores/runtime-config-store.ts';
import { assertStoresUsable } from './stores/store-readiness.ts';
import { LocalStoreSource, type StoreSource } from './stores/store-source.ts';
import { AttestedSync, createAttestedSync } from './sync/attested-sync.ts';
import { SaltExpiryPolicy } from './sync/salt-expiry-policy.ts';
import { defaultExit, type ExitFn } from './sync/shutdown-policy.ts';
import { StoreRefresher } from './sync/store-refresher.ts';
import { shareStoreMemory, useJobThreads } from './threads/job-thread.ts';
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
  /** Replaces this process's replay guard (one shared by several). */
  readonly replay?: ReplayChecker;
  /** The HTTP server's limits (src/http/server-limits.ts); default: the config's `http_*` keys. */
  readonly limits?: ServerLimits;
  /** Process exit for the shutdown rules (tests); default logs and calls `process.exit`. */
  readonly exit?: ExitFn;
  /** Stores with their large arrays in shared memory, for request threads (operator-process.ts). */
  readonly sharedStores?: boolean;
}

export interface Operator {
  readonly deps: OperatorDeps;
  readonly refresher: StoreRefresher;
  readonly pipeline: Pipeline;
  /** Written every `api_usage_log_interval_ms` once the operator serves. */
  readonly usageLog: UsageLog;
  readonly state: StateMetrics;
  /** How a shutdown rule ends the process. */
  readonly exit: ExitFn;
  /** Attested mode: the headers that prove an opt-out write comes from an attested operator. */
  readonly attestationHeaders: (() => Promise<Record<string, string>>) | undefined;
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
  // With request threads, large store data goes to shared memory as it is read and built.
  if (o.sharedStores) shareStoreMemory();
  const stores = createOperatorStores({ shared: o.sharedStores });
  const exit = o.exit ?? defaultExit(logger);
  const usageLog = new UsageLog({ logger, registry: metrics.registry, ...config.usageLog });
  metrics.usage = usageLog;
  const state = new StateMetrics({ registry: metrics.registry, stores, now: () => clock.now(), version: process.env.IMAGE_VERSION });
  // Attested mode (core_attest_url set, spec §12): attest to Core, sync stores and opt-outs from Core/OptOut.
  const refresher =
    config.coreAttestUrl !== undefined && o.source === undefined
      ? createAttestedSync(config, { stores, health, metrics, logger, clock, exit })
      : new StoreRefresher({ source: o.source ?? localSource(o.dataDir, config), bindings: storeBindings(config, stores), now: () => clock.now(), metrics, health, logger });
  await refresher.loadAll();
  assertStoresUsable(stores, clock.now());
  effectiveRuntime(config, stores.runtimeConfig.peek());
  // Attested operators attest their opt-out writes too: OptOut checks them as Core does (issue 14 §2).
  const attestationHeaders = refresher instanceof AttestedSync ? () => refresher.optOutAttestationHeaders() : undefined;
  const optOutWriter =
    o.optOutWriter ??
    new HttpOptOutWriter({ uri: config.optoutApiUri, operatorKey: config.coreApiToken, instanceIdPrefix: config.uidInstanceIdPrefix, attestationHeaders });
  const saltExpiry = new SaltExpiryPolicy({
    logger,
    exit,
    shutdownAfterMs: config.saltsExpiredShutdownHours * 3_600_000,
    expiredReads: metrics.counter('uid2_salts_expired_requests_total', 'Requests that found the salt file in force expired'),
  });
  const siteName = (siteId: number) => stores.sites.peek()?.byId.get(siteId)?.name || 'unknown';
  const rejectedOrigins = config.cstgLogInvalidHttpOrigins ? new RejectedOriginLog({ logger, now: () => clock.now(), siteName }) : undefined;
  const deps: OperatorDeps = { config, stores, clock, metrics, health, logger, optOutWriter, saltExpiry, rejectedOrigins };
  health.register('http-server', 'not listening');
  // One replay guard for every route (issue 7).
  const replay = o.replay ?? new ReplayGuard({ now: () => clock.now() });
  const pipeline = new Pipeline({ deps, routes: routeTable(config), replay, clientVersions: new ClientVersionMetrics(metrics.registry) });
  return { deps, refresher, pipeline, usageLog, state, exit, attestationHeaders };
}

/** An operator's HTTP server, listening. */
export interface ListeningOperator {
  readonly server: OperatorServer;
  readonly port: number;
}

/** How long in-flight requests may take to finish at shutdown before their connections are closed. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Serves `op` on `port`/`host` (its config's when not given); the health check then reports the server up. */
export async function listenOperator(op: Operator, o: { port?: number; host?: string; limits?: ServerLimits } = {}): Promise<ListeningOperator> {
  const { config, health, logger } = op.deps;
  const server = new OperatorServer({ pipeline: op.pipeline, limits: o.limits ?? config.serverLimits, logger });
  const port = await server.listen(o.port ?? config.port, o.host ?? config.host);
  health.set('http-server', true);
  return { server, port };
}

export interface RunningOperator extends Operator {
  readonly port: number;
  readonly metricsPort: number;
  close(): Promise<void>;
}

/** What serves an operator's requests: its own server, or its request threads (operator-process.ts). */
export interface RequestServing {
  readonly port: number;
  /** Drains: open requests finish within `graceMs`, then everything is closed. */
  close(graceMs: number): Promise<void>;
  /** What the metrics port answers. */
  readonly metrics: MetricsSource;
  /** This process answers requests itself (the usage log then counts here). */
  readonly inProcess: boolean;
}

/**
 * Runs a serving operator: the metrics port, store polling, job threads, the pod-termination
 * monitor; `close` marks the health check 503 first (readiness), waits `shutdown_drain_ms`, then
 * drains the serving side.
 */
export async function serveOperator(op: Operator, serving: RequestServing): Promise<RunningOperator> {
  const { config, health } = op.deps;
  health.set('http-server', true);
  let metricsServer: MetricsServer;
  try {
    metricsServer = await startMetricsServer(serving.metrics, config.metricsPort, config.host);
  } catch (err) {
    await serving.close(0);
    throw err;
  }
  // Serving now: store refreshes hand their large files to job threads (issue 6).
  useJobThreads();
  op.refresher.start();
  if (serving.inProcess) op.usageLog.start();
  op.state.serving();
  const { file: podTerminationFile, checkIntervalMs } = config.podTermination;
  const podMonitor = podTerminationFile === undefined ? undefined : new PodTerminationMonitor({ file: podTerminationFile, intervalMs: checkIntervalMs, health });
  await podMonitor?.start();
  let closing: Promise<void> | undefined;
  return {
    ...op,
    port: serving.port,
    metricsPort: metricsServer.port,
    close() {
      closing ??= (async () => {
        // Readiness first (docs/deployment-guide.md "Upgrade"): /ops/healthcheck answers 503 at
        // once, and requests are still served for shutdown_drain_ms, so a load balancer probing it
        // moves its traffic away before the server stops accepting and closes.
        health.set('http-server', false, 'shutting down');
        if (config.shutdownDrainMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
        op.refresher.stop();
        op.usageLog.stop();
        podMonitor?.stop();
        // Then the server drains: no new connections, open requests finish, each connection
        // closes after its answer; past the grace period the rest are answered 503 or closed.
        await Promise.all([serving.close(SHUTDOWN_GRACE_MS), metricsServer.close()]);
      })();
      return closing;
    },
  };
}

/** An operator answering its requests in this process, on its own server (tests, `uid2 start`). */
export async function startOperator(o: OperatorOptions): Promise<RunningOperator> {
  const op = await createOperator(o);
  const { server, port } = await listenOperator(op, { limits: o.limits });
  return serveOperator(op, { port, close: (grace) => server.close(grace), metrics: op.deps.metrics.registry, inProcess: true });
}
