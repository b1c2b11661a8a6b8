/**
 * Salt file parser (spec §6.3; upstream `SaltFileParser`). One CSV line per bucket, line n is
 * bucket n; the `id` column only feeds the bucket id. An empty field is null; trailing empty
 * fields may be left out (upstream's oldest files have only the first three columns).
 *
 * | column | field          | type                       |
 * | 0      | id             | int, required              |
 * | 1      | lastUpdated    | epoch ms, required         |
 * | 2      | currentSalt    | string or empty            |
 * | 3      | refreshFrom    | epoch ms or empty          |
 * | 4      | previousSalt   | string or empty            |
 * | 5-7    | currentKey     | keyId, key, salt (all three or none) |
 * | 8-10   | previousKey    | keyId, key, salt (all three or none) |
 *
 * Every line needs a current salt or a current key, else no raw UID can be made for its bucket.
 * Errors name the 1-based line number but never the line: it holds secrets.
 */
import { ProtocolError } from './errors.ts';

/** Key material of a v4 ("refreshable") raw UID: AES key and IV-derivation salt, both strings. */
export interface KeyMaterial {
  readonly id: number;
  readonly key: string;
  readonly salt: string;
}

export interface SaltEntry {
  readonly id: number;
  readonly lastUpdated: number;
  readonly currentSalt: string | null;
  readonly refreshFrom: number | null;
  readonly previousSalt: string | null;
  readonly currentKey: KeyMaterial | null;
  readonly previousKey: KeyMaterial | null;
}

const MAX_FIELDS = 11;
const MIN_FIELDS = 2;
const MAX_INT32 = 0x7fffffff;
const DIGITS = /^[0-9]+$/;

class LineError extends Error {}

function parseInteger(field: string, max: number, name: string): number {
  const value = Number(field);
  if (!DIGITS.test(field) || !Number.isSafeInteger(value) || value > max) throw new LineError(`bad ${name}`);
  return value;
}

function optional(fields: string[], index: number): string | null {
  const value = fields[index];
  return value === undefined || value === '' ? null : value;
}

function parseKeyMaterial(fields: string[], first: number, name: string): KeyMaterial | null {
  const id = optional(fields, first);
  const key = optional(fields, first + 1);
  const salt = optional(fields, first + 2);
  if (id === null && key === null && salt === null) return null;
  if (id === null || key === null || salt === null) throw new LineError(`incomplete ${name}`);
  return Object.freeze({ id: parseInteger(id, MAX_INT32, `${name} id`), key, salt });
}

function parseLine(line: string): SaltEntry {
  const fields = line.split(',');
  if (fields.length < MIN_FIELDS || fields.length > MAX_FIELDS) throw new LineError('wrong number of fields');
  const refreshFrom = optional(fields, 3);
  const entry: SaltEntry = {
    id: parseInteger(fields[0], MAX_INT32, 'id'),
    lastUpdated: parseInteger(fields[1], Number.MAX_SAFE_INTEGER, 'lastUpdated'),
    currentSalt: optional(fields, 2),
    refreshFrom: refreshFrom === null ? null : parseInteger(refreshFrom, Number.MAX_SAFE_INTEGER, 'refreshFrom'),
    previousSalt: optional(fields, 4),
    currentKey: parseKeyMaterial(fields, 5, 'current key'),
    previousKey: parseKeyMaterial(fields, 8, 'previous key'),
  };
  if (entry.currentSalt === null && entry.currentKey === null) throw new LineError('neither current salt nor current key');
  return Object.freeze(entry);
}

/**
 * Parses consecutive lines of a salt file (a CR before the LF is tolerated); `firstLine` is the
 * 1-based number of `lines[0]`, for error messages. Lets a caller parse a large file in slices.
 */
export function parseSaltLines(lines: readonly string[], firstLine = 1): SaltEntry[] {
  return lines.map((raw, index) => {
    try {
      return parseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    } catch (err) {
      const reason = err instanceof LineError ? err.message : 'unparsable';
      throw new ProtocolError('ERR_FORMAT', `salt file line ${firstLine + index}: ${reason}`);
    }
  });
}

/** Whole-file checks: at least one entry, and `expectedCount` (the metadata `size`) when given. */
export function checkSaltEntries(entries: readonly SaltEntry[], expectedCount?: number): readonly SaltEntry[] {
  checkSaltEntryCount(entries.length, expectedCount);
  return Object.freeze(entries);
}

/** The whole-file checks of `checkSaltEntries` on a line count alone (for compact tables). */
export function checkSaltEntryCount(count: number, expectedCount?: number): void {
  if (count === 0) throw new ProtocolError('ERR_FORMAT', 'salt file has no entries');
  if (expectedCount !== undefined && count !== expectedCount) {
    throw new ProtocolError('ERR_FORMAT', `salt file has ${count} entries, metadata says ${expectedCount}`);
  }
}

/**
 * Parses a whole salt file. Trailing empty lines are ignored (as Java's `split`) and a CR before
 * the LF is tolerated. `expectedCount` (the metadata `size`) is checked when given.
 */
export function parseSaltFile(text: string, expectedCount?: number): readonly SaltEntry[] {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].replace(/\r$/, '') === '') lines.pop();
  return checkSaltEntries(parseSaltLines(lines), expectedCount);
}
