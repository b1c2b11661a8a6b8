/**
 * Compact lookup over opt-out records (spec §10.2) for production-scale data: 10M records in
 * memory as the downloaded files themselves (72 bytes each) plus one open-addressing table of
 * 4-byte record numbers per key kind, instead of two JS Maps of base64 strings (which cost over
 * 2 GB and tens of seconds to build at that size).
 *
 * | key kind      | key bytes of a record                                           |
 * | identity hash | bytes 0..32 (the first-level hash)                              |
 * | advertising id| bytes 32..64, plus metadata bits 0-5 as the first byte when the |
 * |               | record version (bits 6-7 of byte 71) is not 0: a 33-byte id     |
 * Duplicates keep the earliest timestamp (low 56 bits, little-endian, at byte 64); records with
 * timestamp 0 are not opt-outs (§10.1) and are left out. Lookups take the key as base64 text, as
 * the routes and the tests hold it.
 */
import { BASE64_DIGITS } from '../../protocol/base64-digits.ts';
import { OPTOUT_RECORD_SIZE } from '../../protocol/optout-record.ts';
import { storeMemoryShared } from '../threads/job-thread.ts';

export type OptOutKeyKind = 'identity' | 'advertising';

/** An index's slot table and entry count, as built over a given list of files. */
export interface OptOutTable {
  readonly table: Uint32Array;
  readonly size: number;
}

/** Read-only map view: base64 key → earliest opt-out time, epoch seconds. */
export interface OptOutLookup {
  readonly size: number;
  get(base64Key: string): number | undefined;
  /** `get` of the 44-character base64 key at `text[start]`, held as ASCII bytes. */
  getBase64Bytes(text: Uint8Array, start: number): number | undefined;
  /**
   * `getBase64Bytes` of `count` keys held back to back (44 bytes each) from `text[0]`:
   * out[i] is the answer for key i, 0 when there is none.
   */
  getBase64Batch(text: Uint8Array, count: number, out: Float64Array): void;
  has(base64Key: string): boolean;
  /** `get` of the key whose base64 text that is: 32 bytes (or 33 for an advertising id), as bytes. */
  getBytes(key: Uint8Array): number | undefined;
  /** Resolves once lookups answer without building anything (lazy-optout-index.ts). */
  ready(): Promise<void>;
  /** True when lookups answer without building anything: `ready()` need not be awaited. */
  readonly isReady: boolean;
}

const HASH_SIZE = 32;
/** Base64 text of 32 bytes (with one "=") and of 33 bytes (no padding). */
const KEY_TEXT_LENGTH = 44;
const PAD = 0x3d;
const RECORD_WORDS = OPTOUT_RECORD_SIZE / 4;
const KEY_WORDS = HASH_SIZE / 4;
const TIMESTAMP_WORD = 16;
const VERSION_SHIFT = 6;
const TYPE_MASK = 0x3f;
/** Table fill at most 0.6 keeps linear probes short; fingerprints keep them off the records. */
const MAX_LOAD = 0.6;

/** Records are read as little-endian 32-bit words (x86/ARM are little-endian, as the format). */
function wordsOf(buf: Buffer): Uint32Array {
  const aligned = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length / 4);
}

function timestampAt(w: Uint32Array, base: number): number {
  return w[base + TIMESTAMP_WORD] + (w[base + TIMESTAMP_WORD + 1] & 0xffffff) * 2 ** 32;
}

/** -1 for a 32-byte ad id (record version 0); else the first byte of a 33-byte id (from the metadata). */
function prefixAt(w: Uint32Array, base: number): number {
  const metadata = w[base + TIMESTAMP_WORD + 1] >>> 24;
  return metadata >> VERSION_SHIFT === 0 ? -1 : metadata & TYPE_MASK;
}

/** A character code of base64 text held as a string or as ASCII bytes. */
function codeAt(text: string | Uint8Array, i: number): number {
  return typeof text === 'string' ? text.charCodeAt(i) : text[i];
}

/** The base64 digit at `text[i]`, or -1 when it is not in the standard alphabet. */
function digitAt(text: string | Uint8Array, i: number): number {
  const code = codeAt(text, i);
  return code < 128 ? BASE64_DIGITS[code] : -1;
}

/** Bytes 8..16 of a key (identity hash or stored ad id) are uniformly random in every id version. */
function fingerprint(w: Uint32Array, keyBase: number, prefix: number): number {
  return fingerprintOfWords(w[keyBase + 2], w[keyBase + 3], prefix);
}

function fingerprintOfWords(w2: number, w3: number, prefix: number): number {
  return ((w2 ^ Math.imul(w3, 0x9e3779b1) ^ (prefix + 1)) | 1) >>> 0;
}

/** The 24 bits of the base64 quad at text[at], or -1 when a character is not in the alphabet. */
function quadAt(text: Uint8Array, at: number): number {
  const a = text[at];
  const b = text[at + 1];
  const c = text[at + 2];
  const d = text[at + 3];
  if ((a | b | c | d) > 127) return -1;
  const da = BASE64_DIGITS[a];
  const db = BASE64_DIGITS[b];
  const dc = BASE64_DIGITS[c];
  const dd = BASE64_DIGITS[d];
  return (da | db | dc | dd) < 0 ? -1 : (da << 18) | (db << 12) | (dc << 6) | dd;
}

/**
 * The fingerprint of the 32-byte key whose base64 text starts at text[at], from the only bytes it
 * reads (8..16, in quads 2..5), or 0 (never a fingerprint) when those characters are not base64.
 */
function fingerprintOfText(text: Uint8Array, at: number): number {
  const q2 = quadAt(text, at + 8);
  const q3 = quadAt(text, at + 12);
  const q4 = quadAt(text, at + 16);
  const q5 = quadAt(text, at + 20);
  if ((q2 | q3 | q4 | q5) < 0) return 0;
  // Little-endian words of bytes 8..11 and 12..15; quad q holds bytes 3q, 3q + 1, 3q + 2.
  const w2 = (q2 & 0xff) | ((q3 >> 16) << 8) | (((q3 >> 8) & 0xff) << 16) | ((q3 & 0xff) << 24);
  const w3 = (q4 >> 16) | (((q4 >> 8) & 0xff) << 8) | ((q4 & 0xff) << 16) | ((q5 >> 16) << 24);
  return fingerprintOfWords(w2, w3, -1);
}

function sameKey(a: Uint32Array, ab: number, b: Uint32Array, bb: number): boolean {
  for (let i = 0; i < KEY_WORDS; i++) if (a[ab + i] !== b[bb + i]) return false;
  return true;
}

export class OptOutIndex implements OptOutLookup {
  readonly size: number;
  /** Per slot two words: record number + 1 (0 = empty), then that record's key fingerprint. */
  private readonly table: Uint32Array;
  private readonly mask: number;
  private readonly words: Uint32Array[];
  /** Record number where each file starts (ascending), for record → file. */
  private readonly starts: number[] = [];
  private readonly keyWord: number;
  private readonly probe = Buffer.alloc(HASH_SIZE + 1);
  private readonly probeKey = Buffer.alloc(HASH_SIZE);
  private readonly probeWords = new Uint32Array(this.probeKey.buffer, this.probeKey.byteOffset, KEY_WORDS);
  private at: Uint32Array = new Uint32Array(0);
  private atBase = 0;

  /**
   * Indexes `files`; with `prebuilt`, the table another `OptOutIndex` built over the same files
   * (`tableParts`, on a job thread: optout-build-thread.ts) is taken as it is.
   */
  constructor(
    /** The record files indexed (the index holds record numbers into them). */
    readonly files: readonly Buffer[],
    private readonly kind: OptOutKeyKind,
    prebuilt?: OptOutTable,
  ) {
    this.words = files.map(wordsOf);
    this.keyWord = kind === 'identity' ? 0 : KEY_WORDS;
    let records = 0;
    for (const f of files) {
      this.starts.push(records);
      records += f.length / OPTOUT_RECORD_SIZE;
    }
    let capacity = 16;
    while (capacity * MAX_LOAD < records) capacity *= 2;
    this.mask = capacity - 1;
    if (prebuilt !== undefined) {
      if (prebuilt.table.length !== capacity * 2) throw new Error('opt-out index: the prebuilt table does not fit these files');
      this.table = prebuilt.table;
      this.size = prebuilt.size;
      return;
    }
    // With request threads the table is born in shared memory (no copy of ~256 MB at 10M records).
    this.table = storeMemoryShared() ? new Uint32Array(new SharedArrayBuffer(capacity * 8)) : new Uint32Array(capacity * 2);
    let size = 0;
    const { table, mask, keyWord } = this;
    this.words.forEach((w, f) => {
      for (let base = 0, r = this.starts[f]; base < w.length; base += RECORD_WORDS, r++) {
        const ts = timestampAt(w, base);
        if (ts <= 0) continue;
        const prefix = kind === 'identity' ? -1 : prefixAt(w, base);
        const print = fingerprint(w, base + keyWord, prefix);
        let slot = print & mask;
        for (;;) {
          const held = table[slot * 2];
          if (held === 0) {
            table[slot * 2] = r + 1;
            table[slot * 2 + 1] = print;
            size++;
            break;
          }
          if (table[slot * 2 + 1] === print) {
            this.locate(held - 1);
            const hw = this.at;
            const hb = this.atBase;
            if ((kind === 'identity' || prefixAt(hw, hb) === prefix) && sameKey(hw, hb + keyWord, w, base + keyWord)) {
              if (ts < timestampAt(hw, hb)) table[slot * 2] = r + 1;
              break;
            }
          }
          slot = (slot + 1) & mask;
        }
      }
    });
    this.size = size;
  }

  /** The built table, for `new OptOutIndex(sameFiles, kind, parts)` elsewhere (not a copy). */
  tableParts(): OptOutTable {
    return { table: this.table, size: this.size };
  }

  /** Sets `at`/`atBase` to the words and word offset of a record (no allocation per probe). */
  private locate(record: number): void {
    const s = this.starts;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid] <= record) lo = mid;
      else hi = mid - 1;
    }
    this.at = this.words[lo];
    this.atBase = (record - s[lo]) * RECORD_WORDS;
  }

  get(base64Key: string): number | undefined {
    return this.lookupDecoded(this.decodeKey(base64Key, 0, base64Key.length));
  }

  getBytes(key: Uint8Array): number | undefined {
    if (key.length !== HASH_SIZE && key.length !== HASH_SIZE + 1) return undefined;
    this.probe.set(key, 0);
    return this.lookupDecoded(key.length);
  }

  /**
   * `get` for a key held as base64 in 44 ASCII bytes at `text[start]` (the batch identity mapper's
   * first-level hashes, as the hashing kernels write them): the same answer as `get` of that text,
   * without making a string of it.
   */
  getBase64Bytes(text: Uint8Array, start: number): number | undefined {
    return this.lookupDecoded(this.decodeKey(text, start, KEY_TEXT_LENGTH));
  }

  /**
   * The batch runs in three passes so the table's cache misses overlap instead of queueing one
   * behind each key's decoding (issue 6: map v3 looks up thousands of first-level hashes per
   * request in a table far larger than the caches): fingerprints of every key, then one tight
   * pass that reads each key's first slot, then the probes, which now mostly hit the cache. A
   * key whose fingerprint is found (an opt-out, or a rare collision) and any key that is not
   * 32-byte padded text are answered by `getBase64Bytes` itself.
   */
  getBase64Batch(text: Uint8Array, count: number, out: Float64Array): void {
    const { table, mask } = this;
    const prints = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const at = KEY_TEXT_LENGTH * i;
      prints[i] = text[at + KEY_TEXT_LENGTH - 1] === PAD ? fingerprintOfText(text, at) : 0;
    }
    const first = new Uint32Array(count);
    for (let i = 0; i < count; i++) first[i] = table[(prints[i] & mask) * 2];
    for (let i = 0; i < count; i++) {
      const print = prints[i];
      const at = KEY_TEXT_LENGTH * i;
      out[i] = 0;
      if (print === 0) {
        // Not padded 32-byte text: a 33-byte advertising id, or no key at all.
        if (text[at + KEY_TEXT_LENGTH - 1] !== PAD) out[i] = this.getBase64Bytes(text, at) ?? 0;
        continue;
      }
      if (first[i] === 0) continue;
      for (let slot = print & mask; table[slot * 2] !== 0; slot = (slot + 1) & mask) {
        if (table[slot * 2 + 1] === print) {
          out[i] = this.getBase64Bytes(text, at) ?? 0;
          break;
        }
      }
    }
  }

  /** The lookup once `decodeKey` has filled `probe` with `n` bytes (0: nothing can match). */
  private lookupDecoded(n: number): number | undefined {
    let prefix: number;
    if (n === HASH_SIZE) prefix = -1;
    else if (n === HASH_SIZE + 1 && this.kind === 'advertising' && this.probe[0] <= TYPE_MASK) prefix = this.probe[0];
    else return undefined;
    const { probe, probeKey } = this;
    for (let i = 0, from = n - HASH_SIZE; i < HASH_SIZE; i++) probeKey[i] = probe[from + i];
    const print = fingerprint(this.probeWords, 0, prefix);
    const { table, mask } = this;
    for (let slot = print & mask; table[slot * 2] !== 0; slot = (slot + 1) & mask) {
      if (table[slot * 2 + 1] !== print) continue;
      this.locate(table[slot * 2] - 1);
      const w = this.at;
      const base = this.atBase;
      if ((this.kind === 'identity' || prefixAt(w, base) === prefix) && sameKey(w, base + this.keyWord, this.probeWords, 0)) {
        return timestampAt(w, base);
      }
    }
    return undefined;
  }

  /**
   * Decodes a key into `probe` and returns its byte count, or 0. Keys match as exact base64 text,
   * like a Map of base64 strings, so only canonical standard base64 of 32 bytes (43 characters
   * and "=") or 33 bytes (44 characters) can match; anything else is refused here, in plain JS
   * (a Buffer decode per lookup costs more than the probe itself on the identity-map hot path).
   */
  private decodeKey(text: string | Uint8Array, start: number, length: number): number {
    if (length !== KEY_TEXT_LENGTH) return 0;
    const probe = this.probe;
    const padded = codeAt(text, start + KEY_TEXT_LENGTH - 1) === PAD;
    const fullQuads = padded ? KEY_TEXT_LENGTH / 4 - 1 : KEY_TEXT_LENGTH / 4;
    for (let q = 0; q < fullQuads; q++) {
      const a = digitAt(text, start + 4 * q);
      const b = digitAt(text, start + 4 * q + 1);
      const c = digitAt(text, start + 4 * q + 2);
      const d = digitAt(text, start + 4 * q + 3);
      if ((a | b | c | d) < 0) return 0;
      const bits = (a << 18) | (b << 12) | (c << 6) | d;
      probe[3 * q] = bits >> 16;
      probe[3 * q + 1] = (bits >> 8) & 0xff;
      probe[3 * q + 2] = bits & 0xff;
    }
    if (!padded) return HASH_SIZE + 1;
    const a = digitAt(text, start + KEY_TEXT_LENGTH - 4);
    const b = digitAt(text, start + KEY_TEXT_LENGTH - 3);
    const c = digitAt(text, start + KEY_TEXT_LENGTH - 2);
    // Canonical text leaves the 2 unused low bits of the last character zero.
    if ((a | b | c) < 0 || (c & 3) !== 0) return 0;
    const bits = (a << 12) | (b << 6) | c;
    probe[HASH_SIZE - 2] = bits >> 10;
    probe[HASH_SIZE - 1] = (bits >> 2) & 0xff;
    return HASH_SIZE;
  }

  has(base64Key: string): boolean {
    return this.get(base64Key) !== undefined;
  }

  readonly isReady = true;

  ready(): Promise<void> {
    return Promise.resolve();
  }
}
