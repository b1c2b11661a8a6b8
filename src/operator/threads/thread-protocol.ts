/**
 * What the operator process and its request threads (issue 16) tell each other.
 *
 * Shared control words (`Int32Array` over a `SharedArrayBuffer`):
 * | word        | written by | meaning                                                      |
 * | 0           | process    | store generation in force; a thread swaps to the snapshots it |
 * |             |            | prepared for it at its next request (one switch for all)     |
 * | 1 + slot    | thread     | heartbeat: the thread's event loop turned (watchdog)          |
 *
 * | message (process → thread)                 | reply (thread → process)                     |
 * | init {port, generation, stores, health}    | ready {port}: serving (a thread started       |
 * |                                            | before the stores loaded waits for it)       |
 * | stores {generation, stores}                | prepared {generation}                        |
 * | health {entries}                           | —                                            |
 * | metrics {id}                               | metrics {id, snapshot}                       |
 * | usage {id}                                 | usage {id, tally}: the usage log's interval  |
 * | drain {graceMs}                            | drained                                      |
 * | reply {id, value | error}                   | call {id, what, version?}: the process       |
 * |                                            | answers (attestation headers for an opt-out  |
 * |                                            | write; the shared advertising-id index)      |
 * | —                                          | fatal {code, reason}                         |
 */
import type { OperatorConfig } from '../config/operator-config.ts';
import type { ServerLimits } from '../../http/server-limits.ts';
import type { ReplayTableMemory } from '../http/replay-table.ts';
import type { HealthEntry } from '../metrics/health.ts';
import type { UsageTally } from '../metrics/usage-log.ts';
import type { OptOutTable } from '../stores/optout-index.ts';
import type { SharedSnapshot, ViewField } from '../stores/shared-snapshots.ts';
import type { ThreadMetricsSnapshot } from './thread-metrics.ts';

export const GENERATION_WORD = 0;
export const heartbeatWord = (slot: number): number => 1 + slot;

/** The shared control words for `threads` request threads. */
export function createControl(threads: number): SharedArrayBuffer {
  return new SharedArrayBuffer((1 + threads) * 4);
}


export type StoreSet = Partial<Record<ViewField, SharedSnapshot>>;

/** A thread's `workerData`: what is known before the process has loaded its stores. */
export interface ThreadSetup {
  readonly slot: number;
  /** The process's configuration, as it loaded it at start: every thread, replacements too, serves by it. */
  readonly config: OperatorConfig;
  readonly host: string;
  readonly limits: ServerLimits;
  readonly replay: ReplayTableMemory;
  readonly control: SharedArrayBuffer;
  /** Attested mode: opt-out writes carry the process's attestation (a `call` per write). */
  readonly attested: boolean;
  /** A replacement thread starts with its `init`; the first threads get it as a message. */
  readonly init: ThreadInit | undefined;
}

/** What a thread needs to serve: the port, and the stores and health of the generation in force. */
export interface ThreadInit {
  /** 0: the first thread binds any free port and reports it; the others bind the one it got. */
  readonly port: number;
  readonly generation: number;
  /** Every store of the generation in force. */
  readonly stores: StoreSet;
  readonly health: readonly HealthEntry[];
}

/** What a thread asks the process for. */
export type Call = { readonly what: 'attestation-headers' } | { readonly what: 'advertising-index'; readonly version: number };

export type ToThread =
  | { readonly type: 'init'; readonly init: ThreadInit }
  | { readonly type: 'stores'; readonly generation: number; readonly stores: StoreSet }
  | { readonly type: 'health'; readonly entries: readonly HealthEntry[] }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'usage'; readonly id: number }
  | { readonly type: 'reply'; readonly id: number; readonly value?: Record<string, string> | OptOutTable; readonly error?: string }
  | { readonly type: 'drain'; readonly graceMs: number };

export type FromThread =
  | { readonly type: 'ready'; readonly port: number }
  | { readonly type: 'prepared'; readonly generation: number }
  | { readonly type: 'metrics'; readonly id: number; readonly snapshot: ThreadMetricsSnapshot }
  | { readonly type: 'usage'; readonly id: number; readonly tally: UsageTally }
  | { readonly type: 'call'; readonly id: number; readonly call: Call }
  | { readonly type: 'fatal'; readonly code: number; readonly reason: string }
  | { readonly type: 'drained' };
