/**
 * Loads a salt file into a compact `SaltTable` without stalling requests (spec §6.5 snapshots of
 * 2^20 buckets are ~90 MB): lines are scanned in slices of about 32 KB (~350 lines, about a
 * tenth of a millisecond on a quiet core) with a turn of the event loop between slices, so
 * requests keep being served while a new snapshot loads. Small slices keep the loader's share of
 * each turn low (the p99 of requests during a swap, issue 6); under full load the swap itself
 * then takes ten seconds or so, which the hourly-to-daily salt rotation easily affords. Accepts and refuses exactly what `parseSaltFile` does, with the same
 * errors; `[...table]` equals its entries.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkSaltEntryCount } from '../../protocol/salt-file.ts';
import { SaltTableBuilder, type SaltTable } from './salt-table.ts';

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

export async function loadSaltFile(bytes: Buffer, expectedCount?: number): Promise<SaltTable> {
  const end = contentEnd(bytes);
  // Sized from the metadata `size` when given: counting the lines first would block the event
  // loop for one pass over the whole file.
  const guess = expectedCount !== undefined && expectedCount <= end / MIN_GUESS_LINE_BYTES ? expectedCount : Math.ceil(end / GUESS_LINE_BYTES);
  const builder = new SaltTableBuilder(bytes, guess);
  let start = 0;
  let sliceEnd = SLICE_BYTES;
  while (start < end) {
    const lf = bytes.indexOf(LF, start);
    const lineEnd = lf < 0 || lf >= end ? end : lf;
    builder.addLine(start, lineEnd);
    start = lineEnd + 1;
    if (start >= sliceEnd && start < end) {
      sliceEnd = start + SLICE_BYTES;
      await nextTurn();
    }
  }
  checkSaltEntryCount(builder.length, expectedCount);
  return builder.finish();
}
