/**
 * Parses a salt file without stalling requests (spec §6.5 snapshots of 2^20 buckets are ~90 MB):
 * the bytes are decoded and parsed in slices of about 64 KB (~700 lines, well under a
 * millisecond each) with a turn of the event loop between slices, so requests keep being
 * served while a new snapshot loads. Same result and errors as `parseSaltFile`.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { checkSaltEntries, parseSaltLines, type SaltEntry } from '../../protocol/salt-file.ts';

const SLICE_BYTES = 64 * 1024;
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

export async function loadSaltFile(bytes: Buffer, expectedCount?: number): Promise<readonly SaltEntry[]> {
  const end = contentEnd(bytes);
  const entries: SaltEntry[] = [];
  let start = 0;
  while (start < end) {
    const lf = bytes.indexOf(LF, Math.min(start + SLICE_BYTES, end));
    const sliceEnd = lf < 0 || lf >= end ? end : lf;
    const lines = bytes.toString('utf8', start, sliceEnd).split('\n');
    for (const entry of parseSaltLines(lines, entries.length + 1)) entries.push(entry);
    start = sliceEnd + 1;
    if (start < end) await nextTurn();
  }
  return checkSaltEntries(entries, expectedCount);
}
