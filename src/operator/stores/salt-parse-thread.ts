/**
 * Parses a large salt file on a job thread (../threads/job-thread.ts, salt-parse-worker.ts), so
 * a snapshot swap costs the threads serving requests almost nothing (issue 6: p99 during a swap).
 * The file's bytes are moved to the thread and the finished table moved back: no copies. An
 * encrypted file (`encrypted_files`) is sent with the cloud keys and decrypted by the same job,
 * so it crosses between threads once each way (issue 16). `undefined` (bytes untouched) when the
 * job could not be handed over; errors of the file are the same `ProtocolError`s the in-thread
 * scan throws, and a file that does not decrypt comes back as `{ decryptFailed }`.
 */
import type { CloudKeyMaterial } from '../../protocol/cloud-encrypted-file.ts';
import { ProtocolError, type ProtocolErrorCode } from '../../protocol/errors.ts';
import { movable, runJobOnThread, storeMemoryShared } from '../threads/job-thread.ts';
import { moduleUrl } from '../threads/module-worker.ts';
import { SaltTable, type SaltTableParts } from './salt-table.ts';

export interface ParseRequest {
  readonly bytes: Uint8Array;
  readonly expectedCount: number | undefined;
  /** The file is encrypted with one of these keys: decrypt, then parse. */
  readonly keys?: readonly CloudKeyMaterial[];
  /** The table comes back in shared memory (`storeMemoryShared`). */
  readonly shared: boolean;
}

export type ParseResult = SaltTableParts | { readonly decryptFailed: { readonly code: ProtocolErrorCode; readonly message: string } };

const WORKER_URL = moduleUrl(import.meta.url, 'salt-parse-worker');

async function runParse(request: Omit<ParseRequest, 'shared'>): Promise<SaltTable | { decryptFailed: ProtocolError } | undefined> {
  const done = await runJobOnThread<ParseRequest, ParseResult>(WORKER_URL, { ...request, shared: storeMemoryShared() }, movable([request.bytes]), { beforeServing: true });
  if (done === undefined) return undefined;
  const { result } = done;
  if ('decryptFailed' in result) return { decryptFailed: new ProtocolError(result.decryptFailed.code, result.decryptFailed.message) };
  return SaltTable.fromParts(result);
}

export async function parseSaltFileOffThread(bytes: Buffer, expectedCount?: number): Promise<SaltTable | undefined> {
  return (await runParse({ bytes, expectedCount })) as SaltTable | undefined;
}

/** An encrypted salt file decrypted with one of `keys`, then parsed, by one job. */
export function decryptAndParseSaltFileOffThread(bytes: Buffer, keys: readonly CloudKeyMaterial[], expectedCount?: number): Promise<SaltTable | { decryptFailed: ProtocolError } | undefined> {
  return runParse({ bytes, expectedCount, keys });
}
