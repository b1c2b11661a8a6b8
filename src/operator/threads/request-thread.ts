/**
 * A request thread of the operator process (issue 16): the request pipeline and HTTP server of
 * one thread, listening on the operator's port with `reusePort` (the kernel spreads connections
 * over the threads' sockets), over the process's store snapshots (thread-stores.ts) and its
 * replay table (shared memory). Everything else stays with the process: attestation, store sync,
 * health, the metrics port. Started by request-threads.ts with a `ThreadSetup`.
 */
import { parentPort } from 'node:worker_threads';
import pino from 'pino';
import { installNativeKernels } from '../../native/index.ts';
import type { OperatorConfig } from '../config/operator-config.ts';
import type { OperatorDeps } from '../deps.ts';
import { ClientVersionMetrics } from '../http/client-version.ts';
import { Pipeline } from '../http/pipeline.ts';
import { ReplayGuard } from '../http/replay-guard.ts';
import { OperatorServer } from '../http/server.ts';
import { HealthRegistry } from '../metrics/health.ts';
import { OperatorMetrics } from '../metrics/operator-metrics.ts';
import { RejectedOriginLog } from '../metrics/rejected-origin-log.ts';
import { UsageLog } from '../metrics/usage-log.ts';
import { HttpOptOutWriter } from '../optout/optout-writer.ts';
import { routeTable } from '../routes/index.ts';
import type { OptOutTable } from '../stores/optout-index.ts';
import { SaltExpiryPolicy } from '../sync/salt-expiry-policy.ts';
import { threadData } from './module-worker.ts';
import { threadMetricsSnapshot } from './thread-metrics.ts';
import { heartbeatWord, type Call, type FromThread, type ThreadInit, type ThreadSetup, type ToThread } from './thread-protocol.ts';
import { ThreadStores } from './thread-stores.ts';

installNativeKernels();
const HEARTBEAT_MS = 100;

const setup = threadData<ThreadSetup>();
const port = parentPort!;
const send = (m: FromThread) => port.postMessage(m);

/** Calls into the process (attestation headers, the shared advertising-id index). */
let nextCall = 0;
const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
function call<T>(c: Call): Promise<T> {
  const id = ++nextCall;
  return new Promise<T>((resolve, reject) => {
    calls.set(id, { resolve: resolve as (v: unknown) => void, reject });
    send({ type: 'call', id, call: c });
  });
}

const config: OperatorConfig = setup.config;
const logger = pino({ base: { application: 'uid2-operator', thread: setup.slot }, level: process.env.LOG_LEVEL ?? 'info' });
const health = new HealthRegistry();
const metrics = new OperatorMetrics(health, { requestThread: true });
// Counted here, written by the process: one line per endpoint and site for all threads.
const usageLog = new UsageLog({ logger, registry: metrics.registry, ...config.usageLog });
metrics.usage = usageLog;
const control = new Int32Array(setup.control);
// A shutdown rule met in a thread stops the whole process: the process decides.
const exit = (code: number, reason: string) => send({ type: 'fatal', code, reason });
const clock = { now: () => Date.now() };

// The modules are loaded and the thread set up while the process loads its stores; it serves once
// it has them (a replacement thread has them from the start).
const init =
  setup.init ??
  (await new Promise<ThreadInit>((resolve) => {
    const onInit = (m: ToThread) => {
      if (m.type !== 'init') return;
      port.off('message', onInit);
      resolve(m.init);
    };
    port.on('message', onInit);
  }));
health.replace(init.health);
const threadStores = new ThreadStores(control, init.generation, init.stores, (version) => call<OptOutTable>({ what: 'advertising-index', version }));
const { stores } = threadStores;
const deps: OperatorDeps = {
  config,
  stores,
  clock,
  metrics,
  health,
  logger,
  optOutWriter: new HttpOptOutWriter({
    uri: config.optoutApiUri,
    operatorKey: config.coreApiToken,
    instanceIdPrefix: config.uidInstanceIdPrefix,
    attestationHeaders: setup.attested ? () => call<Record<string, string>>({ what: 'attestation-headers' }) : undefined,
  }),
  saltExpiry: new SaltExpiryPolicy({
    logger,
    exit,
    shutdownAfterMs: config.saltsExpiredShutdownHours * 3_600_000,
    expiredReads: metrics.counter('uid2_salts_expired_requests_total', 'Requests that found the salt file in force expired'),
  }),
  rejectedOrigins: config.cstgLogInvalidHttpOrigins
    ? new RejectedOriginLog({ logger, now: clock.now, siteName: (siteId) => stores.sites.peek()?.byId.get(siteId)?.name || 'unknown' })
    : undefined,
};
const pipeline = new Pipeline({
  deps,
  routes: routeTable(config),
  replay: new ReplayGuard({ now: clock.now, memory: setup.replay }),
  clientVersions: new ClientVersionMetrics(metrics.registry),
});
const server = new OperatorServer({ pipeline, limits: setup.limits, logger });

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'stores':
      threadStores.prepare(m.generation, m.stores);
      send({ type: 'prepared', generation: m.generation });
      break;
    case 'health':
      health.replace(m.entries);
      break;
    case 'metrics':
      void threadMetricsSnapshot(metrics).then((snapshot) => send({ type: 'metrics', id: m.id, snapshot }));
      break;
    case 'usage':
      send({ type: 'usage', id: m.id, tally: usageLog.take() });
      break;
    case 'reply': {
      const pending = calls.get(m.id);
      calls.delete(m.id);
      if (m.error !== undefined) pending?.reject(new Error(m.error));
      else pending?.resolve(m.value);
      break;
    }
    case 'drain':
      void server.close(m.graceMs).then(() => send({ type: 'drained' }));
      break;
    case 'init':
      break;
  }
});

// The watchdog's word: it moves while this thread's event loop turns.
setInterval(() => Atomics.add(control, heartbeatWord(setup.slot), 1), HEARTBEAT_MS).unref();
const listening = await server.listen(init.port, setup.host, true);
send({ type: 'ready', port: listening });
