/**
 * A salt file held compactly (spec §6.3, §6.5): the salts' bytes plus typed arrays, instead of
 * one frozen `SaltEntry` (and its strings) per line. At 2^20 buckets that is ~46 MB of salts and
 * ~37 MB of arrays (the file itself is ~92 MB and is let go once scanned), no million JS objects
 * for the GC to mark, and a parse that allocates nothing per line, so loading or swapping a
 * snapshot barely competes with requests.
 *
 * Per line the table keeps:
 * | array          | content                                                              |
 * | bytes          | the line's current and previous salt, one after the other; a line    |
 * |                | with key material is kept whole instead                              |
 * | spans (x4)     | current salt start/end, previous salt start/end (offsets in `bytes`)  |
 * | lines (x2)     | only when some line has key material: that line's start/end in `bytes` |
 * | ids            | column 0                                                             |
 * | lastUpdated    | column 1, epoch ms                                                   |
 * | refreshFrom    | column 3, epoch ms, NaN when empty                                   |
 * | flags          | which of current salt, previous salt, current key, previous key exist |
 * `at(i)` gives exactly what `parseSaltFile` returns for that line: a line with key material is
 * decoded whole by the protocol parser (`parseSaltLines`); any other line's entry is made of its
 * columns, which are all the parser reads from such a line. The line scanner below accepts and
 * refuses exactly what `parseSaltLines` does, with the same reasons (test/operator/salt-table.test.ts).
 */
import { ProtocolError } from '../../protocol/errors.ts';
import { parseSaltLines, type SaltEntry } from '../../protocol/salt-file.ts';

const COMMA = 0x2c;
const CR = 0x0d;
const ZERO = 0x30;
const NINE = 0x39;
const MAX_FIELDS = 11;
const MIN_FIELDS = 2;
const MAX_INT32 = 0x7fffffff;
/** Spans per line while scanning: line start/end, current salt start/end, previous salt start/end. */
const SCAN_STRIDE = 6;
/** Spans per line in a table: current salt start/end, previous salt start/end. */
const SPAN_STRIDE = 4;

const HAS_CURRENT_SALT = 1;
const HAS_PREVIOUS_SALT = 2;
const HAS_CURRENT_KEY = 4;
const HAS_PREVIOUS_KEY = 8;
const HAS_KEY = HAS_CURRENT_KEY | HAS_PREVIOUS_KEY;

class LineError extends Error {
  readonly code = 'ERR_SALT_LINE';
}

/** A table as plain bytes and typed arrays, to hand it between threads (`SaltTable.fromParts`). */
export interface SaltTableParts {
  readonly bytes: Uint8Array;
  readonly length: number;
  readonly spans: Int32Array;
  readonly lines: Int32Array;
  readonly ids: Int32Array;
  readonly lastUpdatedMs: Float64Array;
  readonly refreshFromMs: Float64Array;
  readonly flags: Uint8Array;
}

type PartView = Uint8Array | Int32Array | Float64Array;

/** The parts with every array passed through `f` (e.g. copied into shared memory). */
export function mapSaltParts(p: SaltTableParts, f: <T extends PartView>(view: T) => T): SaltTableParts {
  return { length: p.length, bytes: f(p.bytes), spans: f(p.spans), lines: f(p.lines), ids: f(p.ids), lastUpdatedMs: f(p.lastUpdatedMs), refreshFromMs: f(p.refreshFromMs), flags: f(p.flags) };
}

/** Every array of the parts (e.g. the buffers to move to another thread). */
export function saltPartViews(p: SaltTableParts): PartView[] {
  return [p.bytes, p.spans, p.lines, p.ids, p.lastUpdatedMs, p.refreshFromMs, p.flags];
}

function widened<T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

export class SaltTable implements Iterable<SaltEntry> {
  constructor(
    private readonly bytes: Buffer,
    readonly length: number,
    private readonly spans: Int32Array,
    private readonly lines: Int32Array,
    private readonly ids: Int32Array,
    private readonly lastUpdatedMs: Float64Array,
    private readonly refreshFromMs: Float64Array,
    private readonly flags: Uint8Array,
  ) {}

  /** A table over parts another thread built (`toParts`); the parts are used as they are, not copied. */
  static fromParts(p: SaltTableParts): SaltTable {
    const bytes = Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength);
    return new SaltTable(bytes, p.length, p.spans, p.lines, p.ids, p.lastUpdatedMs, p.refreshFromMs, p.flags);
  }

  /** The table's parts (views, not copies), e.g. for `postMessage` with their buffers transferred. */
  toParts(): SaltTableParts {
    const { bytes, length, spans, lines, ids, lastUpdatedMs, refreshFromMs, flags } = this;
    return { bytes, length, spans, lines, ids, lastUpdatedMs, refreshFromMs, flags };
  }

  /** The full entry of line `i` (0-based), decoded on demand. */
  at(i: number): SaltEntry {
    if (this.flags[i] & HAS_KEY) return parseSaltLines([this.bytes.toString('utf8', this.lines[i * 2], this.lines[i * 2 + 1])], i + 1)[0];
    return Object.freeze({
      id: this.ids[i],
      lastUpdated: this.lastUpdatedMs[i],
      currentSalt: this.currentSalt(i),
      refreshFrom: this.refreshFrom(i),
      previousSalt: this.previousSalt(i),
      currentKey: null,
      previousKey: null,
    });
  }

  id(i: number): number {
    return this.ids[i];
  }

  lastUpdated(i: number): number {
    return this.lastUpdatedMs[i];
  }

  refreshFrom(i: number): number | null {
    const v = this.refreshFromMs[i];
    return v === v ? v : null;
  }

  currentSalt(i: number): string | null {
    return this.flags[i] & HAS_CURRENT_SALT ? this.span(i * SPAN_STRIDE) : null;
  }

  previousSalt(i: number): string | null {
    return this.flags[i] & HAS_PREVIOUS_SALT ? this.span(i * SPAN_STRIDE + 2) : null;
  }

  hasCurrentSalt(i: number): boolean {
    return (this.flags[i] & HAS_CURRENT_SALT) !== 0;
  }

  hasPreviousSalt(i: number): boolean {
    return (this.flags[i] & HAS_PREVIOUS_SALT) !== 0;
  }

  /**
   * The bytes the salts lie in, for callers that hash a salt where it is (the batch identity
   * mapper, issue 6) instead of making a string of it. Read-only: the table is shared.
   */
  get fileBytes(): Buffer {
    return this.bytes;
  }

  /**
   * Writes the byte range [start, end) of line `i`'s current (or, with `previous`, previous) salt
   * inside `fileBytes` to out[at], out[at + 1]; false (nothing written) when the line has none.
   * `currentSalt(i)` is the UTF-8 decoding of exactly these bytes.
   */
  saltRange(i: number, previous: boolean, out: Uint32Array, at: number): boolean {
    if ((this.flags[i] & (previous ? HAS_PREVIOUS_SALT : HAS_CURRENT_SALT)) === 0) return false;
    const s = i * SPAN_STRIDE + (previous ? 2 : 0);
    out[at] = this.spans[s];
    out[at + 1] = this.spans[s + 1];
    return true;
  }

  hasCurrentKey(i: number): boolean {
    return (this.flags[i] & HAS_CURRENT_KEY) !== 0;
  }

  hasPreviousKey(i: number): boolean {
    return (this.flags[i] & HAS_PREVIOUS_KEY) !== 0;
  }

  *[Symbol.iterator](): Iterator<SaltEntry> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  private span(s: number): string {
    return this.bytes.toString('utf8', this.spans[s], this.spans[s + 1]);
  }
}

/**
 * Fills a `SaltTable` line by line, so a caller can scan a large file in slices. Lines are given
 * as byte ranges without their LF; a trailing CR is dropped here.
 */
export class SaltTableBuilder {
  private count = 0;
  private capacity: number;
  private spans: Int32Array;
  private ids: Int32Array;
  private lastUpdatedMs: Float64Array;
  private refreshFromMs: Float64Array;
  private flags: Uint8Array;
  private readonly starts = new Int32Array(MAX_FIELDS);
  private readonly ends = new Int32Array(MAX_FIELDS);

  /**
   * `capacity` is a first guess at the line count (e.g. the metadata `size`); the arrays grow past
   * it. With `shared` they are in shared memory (an operator with request threads, issue 16).
   */
  constructor(
    private readonly bytes: Buffer,
    capacity: number,
    private readonly shared = false,
  ) {
    capacity = Math.max(1, capacity);
    this.capacity = capacity;
    // Scratch: `finish` keeps what the table needs in arrays of their own.
    this.spans = new Int32Array(capacity * SCAN_STRIDE);
    this.ids = this.alloc(Int32Array, capacity);
    this.lastUpdatedMs = this.alloc(Float64Array, capacity);
    this.refreshFromMs = this.alloc(Float64Array, capacity);
    this.flags = this.alloc(Uint8Array, capacity);
  }

  private alloc<T>(Kind: { new (length: number): T; new (buffer: SharedArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, length: number): T {
    return this.shared ? new Kind(new SharedArrayBuffer(length * Kind.BYTES_PER_ELEMENT)) : new Kind(length);
  }

  get length(): number {
    return this.count;
  }

  /** Adds the line in bytes [start, end); throws the `parseSaltLines` error for a bad line. */
  addLine(start: number, end: number): void {
    const i = this.count;
    if (i >= this.capacity) this.grow();
    const fieldsEnd = end > start && this.bytes[end - 1] === CR ? end - 1 : end;
    try {
      this.scan(i, start, fieldsEnd);
    } catch (err) {
      const reason = err instanceof LineError ? err.message : 'unparsable';
      throw new ProtocolError('ERR_FORMAT', `salt file line ${i + 1}: ${reason}`);
    }
    // `at` re-parses the raw line, which drops the trailing CR itself.
    this.spans[i * SCAN_STRIDE + 1] = end;
    this.count++;
  }

  finish(): SaltTable {
    const n = this.count;
    if (n < this.capacity) {
      // Over-allocated (no or wrong size guess): keep only what is used (in shared memory, a
      // view of it: a copy would leave the whole arrays to the collector).
      const keep = <T extends Int32Array | Float64Array | Uint8Array>(a: T, length: number): T => (this.shared ? (a.subarray(0, length) as T) : (a.slice(0, length) as T));
      this.ids = keep(this.ids, n);
      this.lastUpdatedMs = keep(this.lastUpdatedMs, n);
      this.refreshFromMs = keep(this.refreshFromMs, n);
      this.flags = keep(this.flags, n);
    }
    const { bytes, spans, lines } = this.compact(n);
    return new SaltTable(bytes, n, spans, lines, this.ids, this.lastUpdatedMs, this.refreshFromMs, this.flags);
  }

  /** Copies the salts (whole lines where there is key material) out of the file, in line order. */
  private compact(n: number): { bytes: Buffer; spans: Int32Array; lines: Int32Array } {
    const { spans: scan, flags } = this;
    let size = 0;
    let keyLines = false;
    for (let i = 0, s = 0; i < n; i++, s += SCAN_STRIDE) {
      if (flags[i] & HAS_KEY) {
        keyLines = true;
        size += scan[s + 1] - scan[s];
      } else size += scan[s + 3] - scan[s + 2] + scan[s + 5] - scan[s + 4];
    }
    const bytes = Buffer.from(this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
    const spans = this.alloc(Int32Array, n * SPAN_STRIDE);
    const lines = keyLines ? this.alloc(Int32Array, n * 2) : new Int32Array(0);
    let at = 0;
    for (let i = 0, s = 0, o = 0; i < n; i++, s += SCAN_STRIDE, o += SPAN_STRIDE) {
      if (flags[i] & HAS_KEY) {
        // Whole line: the salts keep their place in it.
        const shift = at - scan[s];
        at += this.bytes.copy(bytes, at, scan[s], scan[s + 1]);
        lines[i * 2] = scan[s] + shift;
        lines[i * 2 + 1] = at;
        // (A salt the line lacks has no range; `flags` says so, and its span is never read.)
        for (let k = 0; k < 4; k++) spans[o + k] = scan[s + 2 + k] + shift;
      } else {
        for (let k = 0; k < 4; k += 2) {
          spans[o + k] = at;
          at += this.bytes.copy(bytes, at, scan[s + 2 + k], scan[s + 3 + k]);
          spans[o + k + 1] = at;
        }
      }
    }
    return { bytes, spans, lines };
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.spans = widened(this.spans, new Int32Array(capacity * SCAN_STRIDE));
    this.ids = widened(this.ids, this.alloc(Int32Array, capacity));
    this.lastUpdatedMs = widened(this.lastUpdatedMs, this.alloc(Float64Array, capacity));
    this.refreshFromMs = widened(this.refreshFromMs, this.alloc(Float64Array, capacity));
    this.flags = widened(this.flags, this.alloc(Uint8Array, capacity));
    this.capacity = capacity;
  }

  /**
   * Same checks, in the same order, as `parseLine` in src/protocol/salt-file.ts. No closures
   * here: this runs a million times per snapshot.
   */
  private scan(i: number, start: number, end: number): void {
    const { bytes, starts, ends } = this;
    let n = 0;
    let fieldStart = start;
    for (let p = start; p <= end; p++) {
      if (p === end || bytes[p] === COMMA) {
        if (n === MAX_FIELDS) throw new LineError('wrong number of fields');
        starts[n] = fieldStart;
        ends[n] = p;
        n++;
        fieldStart = p + 1;
      }
    }
    if (n < MIN_FIELDS) throw new LineError('wrong number of fields');
    this.ids[i] = this.integer(0, MAX_INT32, 'id');
    this.lastUpdatedMs[i] = this.integer(1, Number.MAX_SAFE_INTEGER, 'lastUpdated');
    this.refreshFromMs[i] = 3 < n && ends[3] > starts[3] ? this.integer(3, Number.MAX_SAFE_INTEGER, 'refreshFrom') : NaN;
    let flags = 0;
    if (2 < n && ends[2] > starts[2]) flags |= HAS_CURRENT_SALT;
    if (4 < n && ends[4] > starts[4]) flags |= HAS_PREVIOUS_SALT;
    if (this.keyMaterial(n, 5, 'current key')) flags |= HAS_CURRENT_KEY;
    if (this.keyMaterial(n, 8, 'previous key')) flags |= HAS_PREVIOUS_KEY;
    if ((flags & (HAS_CURRENT_SALT | HAS_CURRENT_KEY)) === 0) throw new LineError('neither current salt nor current key');
    this.flags[i] = flags;
    const s = i * SCAN_STRIDE;
    const { spans } = this;
    spans[s] = start;
    spans[s + 2] = flags & HAS_CURRENT_SALT ? starts[2] : 0;
    spans[s + 3] = flags & HAS_CURRENT_SALT ? ends[2] : 0;
    spans[s + 4] = flags & HAS_PREVIOUS_SALT ? starts[4] : 0;
    spans[s + 5] = flags & HAS_PREVIOUS_SALT ? ends[4] : 0;
  }

  /** Key id, key and salt: all three or none (`parseKeyMaterial`). */
  private keyMaterial(n: number, first: number, name: string): boolean {
    let given = 0;
    for (let f = first; f < first + 3; f++) if (f < n && this.ends[f] > this.starts[f]) given++;
    if (given === 0) return false;
    if (given < 3) throw new LineError(`incomplete ${name}`);
    this.integer(first, MAX_INT32, `${name} id`);
    return true;
  }

  /** ASCII digits only, at least one, value ≤ max (`parseInteger`). */
  private integer(f: number, max: number, name: string): number {
    const { bytes } = this;
    const start = this.starts[f];
    const end = this.ends[f];
    if (end === start) throw new LineError(`bad ${name}`);
    let value = 0;
    for (let p = start; p < end; p++) {
      const c = bytes[p];
      if (c < ZERO || c > NINE) throw new LineError(`bad ${name}`);
      value = value * 10 + (c - ZERO);
      if (value > max) throw new LineError(`bad ${name}`);
    }
    return value;
  }
}
