/**
 * Loads a salt file into a compact `SaltTable` without stalling requests (spec §6.5 snapshots of
 * 2^20 buckets are ~90 MB, about 0.6 s of scanning). A large file is parsed on a thread of its
 * own at a lower priority (salt-parse-thread.ts), so the event loop serving requests only
 * receives the finished arrays (the p99 of requests during a swap, issue 6). A small file, or
 * any file when no thread can start, is scanned here in slices of about 32 KB (~350 lines, about
 * a tenth of a millisecond) with a turn of the event loop between them. Both ways run the same
 * scan, accept and refuse exactly what `parseSaltFile` does, with the same errors; `[...table]`
 * equals its entries.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decryptCloudFileWithKeys } from '../../protocol/cloud-encrypted-file.ts';
import { checkSaltEntryCount } from '../../protocol/salt-file.ts';
import { OFF_THREAD_MIN_BYTES, storeMemoryShared } from '../threads/job-thread.ts';
import { decryptAndParseSaltFileOffThread, parseSaltFileOffThread } from './salt-parse-thread.ts';
import { SaltTableBuilder, type SaltTable } from './salt-table.ts';
import type { SealedContent } from './store-source.ts';

const SLICE_BYTES = 32 * 1024;
const LF = 0x0a;
const CR = 0x0d;

/** End of the content once trailing empty lines ("" or a lone CR) are dropped, as `parseSaltFile`. */
function contentEnd(bytes: Buffer): number {
  let end = bytes.length;
  while (end > 0) {
    const lf = bytes.lastIndexOf(LF, end - 1);
    const lineLength = end - (lf + 1);
    const empty = lineLength === 0 || (lineLength === 1 && bytes[lf + 1] === CR);
    if (!empty) break;
    end = Math.max(lf, 0);
    if (lf < 0) break;
  }
  return end;
}

/** Salt lines are ~90 bytes; a low guess only costs a doubling or two of the table's arrays. */
const GUESS_LINE_BYTES = 64;
/** A metadata `size` that implies shorter lines than this is not trusted for the first guess. */
const MIN_GUESS_LINE_BYTES = 32;

/**
 * The line scan shared by both ways of loading: yields at each slice boundary (about 32 KB) and
 * returns the finished table. Throws `parseSaltFile`'s error for a bad line or a wrong count.
 */
export function* scanSaltFile(bytes: Buffer, expectedCount?: number): Generator<void, SaltTable, void> {
  const end = contentEnd(bytes);
  // Sized from the metadata `size` when given: counting the lines first would block the event
  // loop for one pass over the whole file.
  const guess = expectedCount !== undefined && expectedCount <= end / MIN_GUESS_LINE_BYTES ? expectedCount : Math.ceil(end / GUESS_LINE_BYTES);
  // With request threads the table is born in shared memory, as the file was read there.
  const builder = new SaltTableBuilder(bytes, guess, storeMemoryShared());
  let start = 0;
  let sliceEnd = SLICE_BYTES;
  while (start < end) {
    const lf = bytes.indexOf(LF, start);
    const lineEnd = lf < 0 || lf >= end ? end : lf;
    builder.addLine(start, lineEnd);
    start = lineEnd + 1;
    if (start >= sliceEnd && start < end) {
      sliceEnd = start + SLICE_BYTES;
      yield;
    }
  }
  checkSaltEntryCount(builder.length, expectedCount);
  return builder.finish();
}

/** The whole scan at once (the parser thread's way: nothing else runs on its thread). */
export function parseSaltTable(bytes: Buffer, expectedCount?: number): SaltTable {
  const scan = scanSaltFile(bytes, expectedCount);
  for (;;) {
    const step = scan.next();
    if (step.done) return step.value;
  }
}

/** On this thread, a slice per turn of the event loop. */
export async function loadSaltFileInThread(bytes: Buffer, expectedCount?: number): Promise<SaltTable> {
  const scan = scanSaltFile(bytes, expectedCount);
  for (;;) {
    const step = scan.next();
    if (step.done) return step.value;
    await nextTurn();
  }
}

/**
 * Loads a salt file. A large one (a production snapshot) is parsed on a low-priority thread
 * (salt-parse-thread.ts) and `bytes` is handed over to it: the caller must not use them afterwards.
 * A small one, or any when no thread can be started, is scanned here in slices.
 */
export async function loadSaltFile(bytes: Buffer, expectedCount?: number, offThreadMinBytes = OFF_THREAD_MIN_BYTES): Promise<SaltTable> {
  if (bytes.length >= offThreadMinBytes) {
    const table = await parseSaltFileOffThread(bytes, expectedCount);
    if (table !== undefined) return table;
  }
  return loadSaltFileInThread(bytes, expectedCount);
}

/**
 * Loads an encrypted salt file (`encrypted_files`): a large one is decrypted and parsed by one job
 * thread (issue 16: not decrypted on one thread, moved back, then moved to another to be parsed);
 * a small one, or any when no thread can be started, is decrypted and scanned here.
 */
export async function loadSealedSaltFile(sealed: SealedContent, expectedCount?: number, offThreadMinBytes = OFF_THREAD_MIN_BYTES): Promise<SaltTable> {
  if (sealed.file.length >= offThreadMinBytes) {
    const done = await decryptAndParseSaltFileOffThread(sealed.file, sealed.keys, expectedCount);
    if (done !== undefined && 'decryptFailed' in done) throw sealed.failed(done.decryptFailed);
    if (done !== undefined) {
      sealed.decrypted();
      return done;
    }
  }
  let plain: Buffer;
  try {
    plain = decryptCloudFileWithKeys(sealed.file, sealed.keys);
  } catch (err) {
    throw sealed.failed(err);
  }
  sealed.decrypted();
  return loadSaltFileInThread(plain, expectedCount);
}
