/**
 * What the cluster primary and its operator workers tell each other (spec §1 `service_instances`:
 * several instances serve one port). Workers learn their operator options from one environment
 * variable holding JSON, so a re-forked worker builds its stores from exactly the same source.
 */
import type { Worker } from 'node:cluster';
import type { OperatorOptions } from '../operator-service.ts';

/** The serialisable part of `OperatorOptions`; each worker reads its own `process.env`. */
export interface WorkerOperatorOptions {
  /** Local mode only; attested mode (core_attest_url) has none. */
  readonly dataDir?: string;
  readonly files?: readonly string[];
  readonly flags?: OperatorOptions['flags'];
}

export const WORKER_OPTIONS_ENV = 'UID2_OPERATOR_WORKER_OPTIONS';

export type WorkerToPrimary =
  | { readonly type: 'uid2-ready'; readonly port: number; readonly metricsPort: number; readonly host: string }
  | { readonly type: 'uid2-failed'; readonly reason: string };

export type PrimaryToWorker = { readonly type: 'uid2-shutdown' };

export function isWorkerMessage(m: unknown): m is WorkerToPrimary {
  const type = (m as { type?: unknown } | null)?.type;
  return type === 'uid2-ready' || type === 'uid2-failed';
}

export function isShutdownMessage(m: unknown): m is PrimaryToWorker {
  return (m as { type?: unknown } | null)?.type === 'uid2-shutdown';
}

export function encodeWorkerOptions(o: WorkerOperatorOptions): string {
  return JSON.stringify({ dataDir: o.dataDir, files: o.files ?? [], flags: o.flags ?? {} });
}

export function decodeWorkerOptions(text: string | undefined): WorkerOperatorOptions {
  if (text === undefined) throw new Error(`${WORKER_OPTIONS_ENV} is not set: this file is started by the cluster primary`);
  const o = JSON.parse(text) as WorkerOperatorOptions;
  if (o.dataDir !== undefined && typeof o.dataDir !== 'string') throw new Error(`${WORKER_OPTIONS_ENV}: bad dataDir`);
  return o;
}

/**
 * Sends without ever throwing or emitting 'error': the channel may close between `isConnected()`
 * and the write (the worker is exiting), which would otherwise surface as EPIPE in the primary.
 * Returns false when the message could not be handed over.
 */
export function sendToWorker(w: Worker, message: object, onFailure: () => void = () => {}): boolean {
  if (!w.isConnected()) {
    onFailure();
    return false;
  }
  try {
    return w.send(message, (err) => {
      if (err) onFailure();
    });
  } catch {
    onFailure();
    return false;
  }
}
