/**
 * Multi-core operator (spec §1 `service_instances`, default = CPU count): a node:cluster primary
 * forks N workers that each run a complete operator on the same port; the primary hands out
 * connections round-robin. The primary holds no stores and serves nothing itself.
 *
 * | event                               | primary's reaction                                   |
 * | every worker reported ready         | `startOperatorCluster` resolves with the port        |
 * | a worker fails before first ready   | startup fails: the others are stopped, error thrown  |
 * | a worker dies after startup         | re-forked (back-off while replacements keep failing) |
 * | 3 replacements in a row never ready | `fatal` event, every worker stopped: a cause that     |
 * |                                     | survives restarts (e.g. a revoked operator key, whose |
 * |                                     | shutdown rule exits the worker) stops the operator    |
 * | close() / SIGTERM in the CLI        | shutdown message, 10 s grace, then SIGKILL           |
 * | SIGTERM/SIGINT before every worker  | the same graceful stop; startup fails with           |
 * |   is ready (the CLI has no handler) | `ClusterStopped` instead of the primary dying        |
 * A worker can die at any moment (a process-group signal reaches it too), so every message to a
 * worker goes through `sendToWorker`, which never throws or emits: a failed send (EPIPE, closed
 * channel) falls back to SIGTERM, and each worker has an 'error' listener.
 * The listening socket stays open while at least one worker holds it, so a crash never drops
 * the port. The primary reads the config only to serve `/metrics` itself on the metrics port,
 * merged from every worker (cluster-metrics.ts); workers' own metrics servers use a private port.
 */
import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadOperatorConfig } from '../config/operator-config.ts';
import { shareReplayGuard } from '../http/cluster-replay-guard.ts';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';
import { moduleUrl } from '../threads/module-worker.ts';
import { ClusterRegistry } from './cluster-metrics.ts';
import {
  WORKER_OPTIONS_ENV,
  encodeWorkerOptions,
  isWorkerMessage,
  sendToWorker,
  type PrimaryToWorker,
  type WorkerOperatorOptions,
} from './worker-protocol.ts';

const WORKER_ENTRY = fileURLToPath(moduleUrl(import.meta.url, 'operator-worker'));
const SHUTDOWN_GRACE_MS = 10_000;
const MAX_RESTART_DELAY_MS = 30_000;
const MAX_REPLACEMENT_FAILURES = 3;

export interface OperatorClusterOptions {
  readonly workers: number;
  readonly operator: WorkerOperatorOptions;
  /** First re-fork delay after a failed replacement; doubles per consecutive failure. */
  readonly restartDelayMs?: number;
}

export interface WorkerEvent {
  readonly pid: number;
  readonly workerId: number;
}

export interface FatalEvent {
  readonly reason: string;
  /** Exit code of the last failed worker (1 when it died by a signal). */
  readonly code: number;
}

/**
 * Events: `worker-ready` (WorkerEvent), `worker-exit` (WorkerEvent & {code, signal}), `fatal`
 * (FatalEvent, after which every worker is stopped).
 */
export interface OperatorCluster extends EventEmitter {
  readonly port: number;
  readonly metricsPort: number;
  /** Listening address as the workers' config resolved it. */
  readonly host: string;
  /** Process ids of the workers currently alive. */
  workerPids(): number[];
  close(): Promise<void>;
}

/** Startup was cancelled by SIGTERM/SIGINT: the workers were stopped gracefully. */
export class ClusterStopped extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal} before the workers were ready`);
    this.name = 'ClusterStopped';
  }
}

const STARTUP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/** Default worker count: the CPU count (upstream `service_instances` default). */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/** Node flags a worker needs: the primary's preloads (a loader, when running sources) and memory flags. */
function workerExecArgv(): string[] {
  const argv = process.execArgv;
  return argv.flatMap((a, i) => {
    if (a === '--import') return i + 1 < argv.length ? [a, argv[i + 1]] : [];
    return /^--(import=|max-old-space-size|max-semi-space-size|expose-gc)/.test(a) ? [a] : [];
  });
}

class Supervisor extends EventEmitter implements OperatorCluster {
  port = 0;
  metricsPort = 0;
  host = '';
  private stopping = false;
  private started = false;
  private failures = 0;
  private readonly ready = new Set<Worker>();
  /** This supervisor's workers (cluster.workers would include another supervisor's in a test). */
  private readonly workers = new Set<Worker>();
  private env: Record<string, string> = {};
  private metricsServer: MetricsServer | undefined;
  private stopReplayGuard: (() => void) | undefined;

  constructor(private readonly o: OperatorClusterOptions) {
    super();
  }

  workerPids(): number[] {
    return [...this.workers].flatMap((w) => (w.process.pid !== undefined && !w.isDead() ? [w.process.pid] : []));
  }

  async start(): Promise<void> {
    // Until every worker is ready the CLI has no signal handler of its own; without this one a
    // SIGTERM would kill the primary abruptly and orphan half-started workers.
    let stoppedBy: NodeJS.Signals | undefined;
    let cancel: ((err: Error) => void) | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy) return;
      stoppedBy = signal;
      void this.close().finally(() => cancel?.(new ClusterStopped(signal)));
    };
    for (const s of STARTUP_SIGNALS) process.on(s, onSignal);
    try {
      // Bad config fails here with the same clear error a single operator gives.
      const config = loadOperatorConfig({ files: this.o.operator.files, env: process.env, flags: this.o.operator.flags });
      const flags = { ...this.o.operator.flags, port: config.port, port_offset: 0, metrics_port: 0 };
      this.env = { [WORKER_OPTIONS_ENV]: encodeWorkerOptions({ ...this.o.operator, flags }) };
      cluster.setupPrimary({ exec: WORKER_ENTRY, execArgv: workerExecArgv(), silent: false });
      // Issue 7: one replay guard for every worker, held here (http/cluster-replay-guard.ts).
      this.stopReplayGuard ??= shareReplayGuard();
      // Metrics first, like a single operator: scrapers may start as soon as the API port answers.
      const metricsServer = await startMetricsServer(new ClusterRegistry(() => [...this.ready]), config.metricsPort, config.host);
      if (this.stopping) {
        await metricsServer.close();
      } else {
        this.metricsServer = metricsServer;
        this.metricsPort = metricsServer.port;
      }
      await new Promise<void>((resolve, reject) => {
        cancel = reject;
        if (stoppedBy) reject(new ClusterStopped(stoppedBy));
        else if (this.stopping) reject(new Error('closed before the workers were ready'));
        else void this.forkAll().then(resolve, reject);
      });
    } finally {
      for (const s of STARTUP_SIGNALS) process.off(s, onSignal);
    }
  }

  private forkAll(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const failStartup = (reason: string) => {
        if (this.started || this.stopping) return;
        void this.close().finally(() => reject(new Error(reason)));
      };
      for (let i = 0; i < this.o.workers; i++) this.fork(resolve, failStartup);
    });
  }

  private fork(onAllReady: () => void, failStartup: (reason: string) => void): void {
    const worker = cluster.fork(this.env);
    this.workers.add(worker);
    // A failed IPC write to a dying worker is emitted here; its 'exit' event does the handling.
    worker.on('error', () => {});
    let reason = 'exited before it was ready';
    worker.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'uid2-failed') {
        reason = m.reason;
        return;
      }
      // A worker that finishes starting after close() began is being stopped, not counted.
      if (this.stopping) return;
      this.port = m.port;
      this.host = m.host;
      this.ready.add(worker);
      this.failures = 0;
      this.emit('worker-ready', { pid: worker.process.pid, workerId: worker.id });
      if (!this.started && this.ready.size === this.o.workers) {
        this.started = true;
        onAllReady();
      }
    });
    worker.on('exit', (code, signal) => {
      const wasReady = this.ready.delete(worker);
      this.workers.delete(worker);
      this.emit('worker-exit', { pid: worker.process.pid, workerId: worker.id, code, signal });
      if (this.stopping) return;
      if (!this.started) return failStartup(reason);
      if (!wasReady) this.failures++;
      if (this.failures >= MAX_REPLACEMENT_FAILURES) {
        this.emit('fatal', { reason: `workers keep failing: ${reason}`, code: code || 1 } satisfies FatalEvent);
        void this.close();
        return;
      }
      const delay = this.failures === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, (this.o.restartDelayMs ?? 1000) * 2 ** (this.failures - 1));
      setTimeout(() => {
        if (!this.stopping) this.fork(onAllReady, failStartup);
      }, delay).unref();
    });
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.stopReplayGuard?.();
    this.stopReplayGuard = undefined;
    await this.metricsServer?.close();
    this.metricsServer = undefined;
    const alive = [...this.workers].filter((w) => !w.isDead());
    await Promise.all(
      alive.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            const kill = setTimeout(() => w.process.kill('SIGKILL'), SHUTDOWN_GRACE_MS);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            const terminate = () => {
              if (!w.isDead()) w.process.kill('SIGTERM');
            };
            // A worker still starting may not listen for messages yet (a message would be lost);
            // until it is ready, SIGTERM is its stop signal (operator-worker.ts).
            const message: PrimaryToWorker = { type: 'uid2-shutdown' };
            if (this.ready.has(w)) sendToWorker(w, message, terminate);
            else terminate();
          }),
      ),
    );
  }
}

/** Forks `workers` operator workers and resolves once every one is serving. */
export async function startOperatorCluster(o: OperatorClusterOptions): Promise<OperatorCluster> {
  if (!cluster.isPrimary) throw new Error('startOperatorCluster must run in the primary process');
  if (!Number.isSafeInteger(o.workers) || o.workers < 1) throw new RangeError('workers must be a positive integer');
  const supervisor = new Supervisor(o);
  await supervisor.start();
  return supervisor;
}
