/**
 * Loads a salt file into a compact `SaltTable` without stalling requests (spec §6.5 snapshots of
 * 2^20 buckets are ~90 MB): lines are scanned in slices of about 256 KB (~2,800 lines, about a
 * millisecond) with a turn of the event loop between slices, so requests keep being served while
 * a new snapshot loads. Accepts and refuses exactly what `parseSaltFile` does, with the same
 * errors; `[...table]` equals its entries.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkSaltEntryCount } from '../../protocol/salt-file.ts';
import { SaltTableBuilder, type SaltTable } from './salt-table.ts';

const SLICE_BYTES = 256 * 1024;
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

function lineCount(bytes: Buffer, end: number): number {
  if (end === 0) return 0;
  let lines = 1;
  for (let lf = bytes.indexOf(LF); lf >= 0 && lf < end; lf = bytes.indexOf(LF, lf + 1)) lines++;
  return lines;
}

export async function loadSaltFile(bytes: Buffer, expectedCount?: number): Promise<SaltTable> {
  const end = contentEnd(bytes);
  const builder = new SaltTableBuilder(bytes, lineCount(bytes, end));
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
