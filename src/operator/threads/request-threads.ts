/**
 * The operator process's request threads (issue 16): N `worker_threads` (request-thread.ts), each
 * serving the operator's port with `reusePort`, over the process's stores and replay table.
 *
 * | event                                  | reaction                                              |
 * | start                                  | thread 0 binds the port (any free one for port 0),    |
 * |                                        | the others bind the same; resolves when all serve     |
 * | a store swaps in the process           | next generation: the changed snapshots go to every    |
 * |                                        | thread; once all have them, the generation word moves |
 * | health changes                         | every thread gets the new component list              |
 * | a thread dies (crash, `terminate`)     | replaced; its connections die with it; its counters   |
 * |                                        | stay in the metrics; a replay lock it held is repaired|
 * | a thread's heartbeat stops for stallMs | `terminate`d, then replaced as above                  |
 * | 3 replacements in a row never serve    | `fatal`: the process exits (a cause that survives      |
 * |                                        | restarts)                                             |
 * | close(graceMs)                         | every thread drains (server.ts), then ends            |
 */
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { OperatorConfig } from '../config/operator-config.ts';
import type { ServerLimits } from '../../http/server-limits.ts';
import { ReplayGuard } from '../http/replay-guard.ts';
import { createReplayTable } from '../http/replay-table.ts';
import type { HealthRegistry } from '../metrics/health.ts';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import type { UsageTally } from '../metrics/usage-log.ts';
import type { OperatorStores } from '../stores/operator-stores.ts';
import { LazyOptOutIndex } from '../stores/lazy-optout-index.ts';
import type { OptOutTable } from '../stores/optout-index.ts';
import { exportSnapshot, type ViewField } from '../stores/shared-snapshots.ts';
import { moduleUrl, startModuleWorker } from './module-worker.ts';
import { MergedMetrics, type ThreadMetricsSnapshot } from './thread-metrics.ts';
import { GENERATION_WORD, createControl, heartbeatWord, type Call, type FromThread, type StoreSet, type ThreadInit, type ThreadSetup, type ToThread } from './thread-protocol.ts';
import { youngGenerationMb } from './young-generation.ts';

const THREAD_MODULE = moduleUrl(import.meta.url, 'request-thread');
const VIEW_FIELDS: readonly ViewField[] = ['clients', 'keysets', 'keysetKeys', 'salts', 'sites', 'cstgKeypairs', 'services', 'serviceLinks', 'runtimeConfig', 'optout'];
const WATCHDOG_MS = 250;
const ASK_TIMEOUT_MS = 2000;
const MAX_REPLACEMENT_FAILURES = 3;

/** What the threads need before the process has loaded its stores. */
export interface RequestThreadsOptions {
  readonly threads: number;
  readonly config: OperatorConfig;
  readonly host: string;
  readonly port: number;
  readonly limits: ServerLimits;
  readonly logger: Logger;
  /** Replay table capacity (entries) and the share of it one client may hold. */
  readonly replayCapacity: number;
  readonly replayClientShare: number;
  /** A thread whose event loop does not turn for this long is replaced. */
  readonly stallMs: number;
  /** Attested mode: opt-out writes carry the process's attestation. */
  readonly attested: boolean;
}

/** The loaded operator the threads serve. */
export interface ServedOperator {
  readonly stores: OperatorStores;
  readonly health: HealthRegistry;
  readonly metrics: OperatorMetrics;
  /** Attested mode: the headers an opt-out write carries. */
  readonly attestationHeaders: (() => Promise<Record<string, string>>) | undefined;
  /** The process must stop (a thread met a shutdown rule, or replacements keep failing). */
  readonly fatal: (code: number, reason: string) => void;
}

class Slot {
  worker: Worker | undefined;
  threadId = -1;
  ready = false;
  /** Resolves with the port once the thread serves; rejects when it ends before. */
  serving: Promise<number> = Promise.resolve(0);
  beat = 0;
  beatAt = 0;
  snapshot: ThreadMetricsSnapshot | undefined;
  failures = 0;
}

export class RequestThreads {
  port = 0;
  private readonly control: Int32Array;
  private readonly controlMemory: SharedArrayBuffer;
  private readonly replay: ReplayGuard;
  private readonly slots: Slot[];
  /** Set by `start`: the operator served, and the merge of every thread's metrics. */
  private op: ServedOperator | undefined;
  private merged: MergedMetrics | undefined;
  private generation = 0;
  private current: StoreSet = {};
  private readonly dirty = new Set<ViewField>();
  private publishing: Promise<void> | undefined;
  /** Threads asked to prepare the generation being published, and not yet done. */
  private awaiting = new Set<Worker>();
  private settlePublish: (() => void) | undefined;
  private inflight: { generation: number; stores: StoreSet } | undefined;
  private readonly pending = new Map<number, (answer: ThreadMetricsSnapshot | UsageTally) => void>();
  private nextId = 0;
  private stopping = false;
  /** Set once every thread first served: from then on a thread that ends is replaced. */
  private started = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly o: RequestThreadsOptions) {
    this.controlMemory = createControl(o.threads);
    this.control = new Int32Array(this.controlMemory);
    this.replay = new ReplayGuard({ now: Date.now, memory: createReplayTable(o.replayCapacity, o.replayClientShare) });
    this.slots = Array.from({ length: o.threads }, () => new Slot());
  }

  private get served(): ServedOperator {
    if (this.op === undefined) throw new Error('request threads: not started');
    return this.op;
  }

  /** Thread ids of the threads serving now. */
  threadIds(): number[] {
    return this.slots.filter((s) => s.worker !== undefined && s.ready).map((s) => s.threadId);
  }

  /** Ends the thread of `slot` as the watchdog does a stalled one: it is replaced like a crash. */
  async terminateThread(slot: number): Promise<void> {
    await this.slots[slot]?.worker?.terminate();
  }

  /** HTTP requests each live thread has answered (from a fresh metrics snapshot). */
  async requestCounts(): Promise<number[]> {
    await this.metricsText();
    return this.slots.filter((s) => s.worker !== undefined).map((s) => (s.snapshot?.requests ?? []).reduce((n, r) => n + r.value, 0));
  }

  /**
   * Starts every thread now, while the process loads its stores: each loads its modules and sets
   * itself up, then waits for `start` to hand it the stores.
   */
  spawnAll(): void {
    this.slots.forEach((_, slot) => this.spawn(slot, undefined));
  }

  /** Hands every thread the stores; resolves once all serve the port. */
  async start(op: ServedOperator): Promise<void> {
    this.op = op;
    this.merged = new MergedMetrics(op.metrics);
    for (const field of VIEW_FIELDS) this.current[field] = exportSnapshot(field, op.stores.view()[field]);
    op.stores.onSwap((field) => this.storeChanged(field));
    op.health.watch((entries) => this.broadcast({ type: 'health', entries }));
    try {
      if (this.slots.some((s) => s.worker === undefined)) throw new Error('request threads ended while the stores loaded');
      this.port = await this.init(0, this.o.port);
      await Promise.all(this.slots.slice(1).map((_, i) => this.init(i + 1, this.port)));
    } catch (err) {
      await this.terminateAll();
      throw err;
    }
    this.started = true;
    this.watchdog = setInterval(() => this.checkHeartbeats(), WATCHDOG_MS);
    this.watchdog.unref();
  }

  /** What a thread serves from: the port, and the generation in force. */
  private threadInit(port: number): ThreadInit {
    return { port, generation: this.generation, stores: this.current, health: this.served.health.snapshot() };
  }

  private init(slot: number, port: number): Promise<number> {
    const s = this.slots[slot];
    s.worker?.postMessage({ type: 'init', init: this.threadInit(port) } satisfies ToThread);
    return s.serving;
  }

  private setup(slot: number, init: ThreadInit | undefined): ThreadSetup {
    const o = this.o;
    return { slot, config: o.config, host: o.host, limits: o.limits, replay: this.replay.memory, control: this.controlMemory, attested: o.attested, init };
  }

  /** Starts the thread of `slot` (serving at once with `init`, else once it gets one). */
  private spawn(slot: number, init: ThreadInit | undefined): void {
    const s = this.slots[slot];
    const worker = startModuleWorker(THREAD_MODULE, { data: this.setup(slot, init), resourceLimits: { maxYoungGenerationSizeMb: youngGenerationMb(this.slots.length) } });
    s.worker = worker;
    s.threadId = worker.threadId;
    s.ready = false;
    // A publish under way: this thread starts from the generation before it, so it prepares it too.
    if (this.inflight !== undefined && init !== undefined) {
      this.awaiting.add(worker);
      worker.postMessage({ type: 'stores', ...this.inflight } satisfies ToThread);
    }
    s.serving = new Promise((resolve, reject) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') {
          s.ready = true;
          s.failures = 0;
          s.beat = Atomics.load(this.control, heartbeatWord(slot));
          s.beatAt = performance.now();
          resolve(m.port);
        } else {
          this.onMessage(slot, worker, m);
        }
      });
      worker.on('error', (err) => this.o.logger.error({ thread: slot, error: err.message }, 'request thread failed'));
      worker.on('exit', (code) => {
        const wasReady = s.ready;
        this.gone(slot, worker, wasReady);
        if (!wasReady) reject(new Error(`request thread ${slot} ended before serving (code ${code})`));
      });
    });
    // Observed by `start`, or not at all for a replacement (`gone` handles its failure).
    s.serving.catch(() => undefined);
  }

  private onMessage(slot: number, worker: Worker, m: FromThread): void {
    switch (m.type) {
      case 'prepared':
        this.prepared(worker, m.generation);
        break;
      case 'metrics':
        this.pending.get(m.id)?.(m.snapshot);
        break;
      case 'usage':
        this.pending.get(m.id)?.(m.tally);
        break;
      case 'call':
        void this.answer(m.call).then(
          (value) => worker.postMessage({ type: 'reply', id: m.id, value } satisfies ToThread),
          (err: unknown) => worker.postMessage({ type: 'reply', id: m.id, error: err instanceof Error ? err.message : 'failed' } satisfies ToThread),
        );
        break;
      case 'fatal':
        this.served.fatal(m.code, m.reason);
        break;
      case 'drained':
      case 'ready':
        break;
    }
  }

  private async answer(c: Call): Promise<Record<string, string> | OptOutTable> {
    const { attestationHeaders, stores } = this.served;
    if (c.what === 'attestation-headers') {
      if (attestationHeaders === undefined) throw new Error('not attested');
      return attestationHeaders();
    }
    const optout = stores.optout.current();
    if (optout.version !== c.version || !(optout.byAdvertisingId instanceof LazyOptOutIndex)) throw new Error('opt-out version replaced');
    return optout.byAdvertisingId.sharedTable();
  }

  /** A thread ended: its counters are kept, a replay lock it held repaired, and it is replaced. */
  private gone(slot: number, worker: Worker, wasReady: boolean): void {
    const s = this.slots[slot];
    if (s.worker !== worker) return;
    s.worker = undefined;
    this.merged?.retire(s.snapshot);
    s.snapshot = undefined;
    if (this.replay.recover(s.threadId)) this.o.logger.warn({ thread: slot }, 'a request thread died holding the replay lock: table repaired');
    if (this.awaiting.delete(worker)) this.maybePublished();
    if (this.stopping || !this.started) return;
    if (!wasReady && ++s.failures >= MAX_REPLACEMENT_FAILURES) {
      this.served.fatal(1, `request thread ${slot} failed to start ${s.failures} times in a row`);
      return;
    }
    this.o.logger.warn({ thread: slot }, 'request thread ended; replacing it');
    this.replace(slot);
  }

  private replace(slot: number): void {
    this.spawn(slot, this.threadInit(this.port));
  }

  private checkHeartbeats(): void {
    const now = performance.now();
    this.slots.forEach((s, slot) => {
      if (s.worker === undefined || !s.ready) return;
      const beat = Atomics.load(this.control, heartbeatWord(slot));
      if (beat !== s.beat) {
        s.beat = beat;
        s.beatAt = now;
      } else if (now - s.beatAt > this.o.stallMs) {
        this.o.logger.error({ thread: slot, stalledMs: Math.round(now - s.beatAt) }, 'request thread stopped answering; replacing it');
        s.beatAt = now;
        void s.worker.terminate();
      }
    });
  }

  private broadcast(m: ToThread): void {
    for (const s of this.slots) s.worker?.postMessage(m);
  }

  private storeChanged(field: ViewField): void {
    this.dirty.add(field);
    this.publishing ??= this.publish().finally(() => (this.publishing = undefined));
  }

  /** Publishes generations until no store is left changed. */
  private async publish(): Promise<void> {
    // One turn: the swaps of one refresh go out together.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.dirty.size > 0 && !this.stopping) {
      const stores: StoreSet = {};
      const view = this.served.stores.view();
      for (const field of this.dirty) stores[field] = exportSnapshot(field, view[field]);
      this.dirty.clear();
      const generation = this.generation + 1;
      this.inflight = { generation, stores };
      const done = new Promise<void>((resolve) => (this.settlePublish = resolve));
      this.awaiting = new Set(this.slots.flatMap((s) => (s.worker ? [s.worker] : [])));
      for (const w of this.awaiting) w.postMessage({ type: 'stores', generation, stores } satisfies ToThread);
      this.maybePublished();
      // A thread that does not prepare in time is stuck: the watchdog's limit applies.
      const timer = setTimeout(() => {
        for (const w of this.awaiting) void w.terminate();
      }, this.o.stallMs);
      await done;
      clearTimeout(timer);
      this.current = { ...this.current, ...stores };
      this.generation = generation;
      this.inflight = undefined;
      Atomics.store(this.control, GENERATION_WORD, generation);
    }
  }

  private prepared(worker: Worker, generation: number): void {
    if (this.inflight?.generation === generation && this.awaiting.delete(worker)) this.maybePublished();
  }

  private maybePublished(): void {
    if (this.awaiting.size === 0) this.settlePublish?.();
  }

  /** Asks a serving thread for its metrics or usage counts; undefined when it does not answer in time. */
  private ask<T extends ThreadMetricsSnapshot | UsageTally>(worker: Worker, type: 'metrics' | 'usage'): Promise<T | undefined> {
    const id = ++this.nextId;
    return new Promise<T | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), ASK_TIMEOUT_MS);
      const done = (answer: T | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(answer);
      };
      this.pending.set(id, (answer) => done(answer as T));
      worker.postMessage({ type, id } satisfies ToThread);
    });
  }

  /** The process's metrics merged with every thread's (thread-metrics.ts). */
  async metricsText(): Promise<string> {
    const snapshots = await Promise.all(
      this.slots.map(async (s) => {
        if (s.worker === undefined || !s.ready) return s.snapshot;
        s.snapshot = (await this.ask<ThreadMetricsSnapshot>(s.worker, 'metrics')) ?? s.snapshot;
        return s.snapshot;
      }),
    );
    if (this.merged === undefined) throw new Error('request threads: not started');
    return this.merged.text(snapshots.filter((x): x is ThreadMetricsSnapshot => x !== undefined));
  }

  /** Every serving thread's usage counts since the last call (the process writes the usage log). */
  async usageTallies(): Promise<UsageTally[]> {
    const tallies = await Promise.all(this.slots.map((s) => (s.worker !== undefined && s.ready ? this.ask<UsageTally>(s.worker, 'usage') : undefined)));
    return tallies.filter((t): t is UsageTally => t !== undefined);
  }

  /** Every thread drains its server (server.ts `close`), then ends. */
  async close(graceMs: number): Promise<void> {
    // Threads that never served have nothing to drain.
    if (!this.started) return this.terminateAll();
    this.stopping = true;
    clearInterval(this.watchdog);
    this.settlePublish?.();
    await Promise.all(
      this.slots.map(async (s) => {
        const worker = s.worker;
        if (worker === undefined) return;
        const drained = new Promise<void>((resolve) => {
          worker.on('message', (m: FromThread) => m.type === 'drained' && resolve());
          worker.once('exit', () => resolve());
        });
        worker.postMessage({ type: 'drain', graceMs } satisfies ToThread);
        await drained;
        await worker.terminate();
      }),
    );
  }

  private async terminateAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((s) => s.worker?.terminate()));
  }
}
