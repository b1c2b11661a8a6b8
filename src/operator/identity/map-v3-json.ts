/**
 * JSON text of map v3 answer elements (spec §4.6): `{"u","p","r"}` or `{"e"}`, as a string (the
 * per-item path) or appended to a byte buffer (the batch path). Raw UIDs are base64 and `r` an
 * integer, so nothing needs escaping and everything is ASCII.
 */
export const INVALID_JSON = '{"e":"invalid identifier"}';
export const OPTED_OUT_JSON = '{"e":"optout"}';

const U_HEAD = '{"u":"';
const P_QUOTED = '","p":"';
const P_NULL = '","p":null,"r":';
const R_HEAD = '","r":';
const BASE64_HASH_LENGTH = 44;

export function mappedJson(u: string, p: string | null, r: number): string {
  return p === null ? `${U_HEAD}${u}${P_NULL}${r}}` : `${U_HEAD}${u}${P_QUOTED}${p}${R_HEAD}${r}}`;
}

const ZERO = 0x30;

/** Appends ASCII JSON text to one growing Buffer: the whole reply, handed as is to the envelope. */
export class JsonBytesWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  /**
   * `text` must be ASCII (field names, element strings, fixed punctuation). A plain loop: these
   * are short, and `Buffer.write`'s argument handling costs more than the copy (issue 6).
   */
  ascii(text: string): void {
    this.reserve(text.length);
    const { buf } = this;
    let pos = this.pos;
    for (let i = 0; i < text.length; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  /** One ASCII character by code, e.g. the "," between elements. */
  byte(code: number): void {
    this.reserve(1);
    this.buf[this.pos++] = code;
  }

  /** `{"u":"<src[u, u+44)>","p":<null or "src[p, p+44)">,"r":<r>}` from base64 hash bytes. */
  mapped(src: Uint8Array, u: number, prevSrc: Uint8Array | null, p: number, r: number): void {
    this.reserve(2 * BASE64_HASH_LENGTH + 48);
    this.ascii(U_HEAD);
    this.copy44(src, u);
    if (prevSrc === null) {
      this.ascii(P_NULL);
    } else {
      this.ascii(P_QUOTED);
      this.copy44(prevSrc, p);
      this.ascii(R_HEAD);
    }
    this.integer(r);
    this.buf[this.pos++] = 0x7d; // }
  }

  /** The JSON written so far (a view of the writer's buffer). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  private copy44(src: Uint8Array, at: number): void {
    const { buf } = this;
    let pos = this.pos;
    for (let i = at; i < at + BASE64_HASH_LENGTH; i++) buf[pos++] = src[i];
    this.pos = pos;
  }

  /** A non-negative safe integer as digits; anything else as JavaScript prints it (as `mappedJson`). */
  private integer(r: number): void {
    if (!(Number.isSafeInteger(r) && r >= 0)) return this.ascii(String(r));
    let digits = 1;
    for (let t = r; t >= 10; t = Math.floor(t / 10)) digits++;
    this.reserve(digits);
    const { buf } = this;
    let t = r;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      buf[i] = ZERO + (t % 10);
      t = Math.floor(t / 10);
    }
    this.pos += digits;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }
}
