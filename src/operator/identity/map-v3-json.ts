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
const MAX_INT32 = 0x7fffffff;
const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const U_HEAD_BYTES = ascii(U_HEAD);
const P_QUOTED_BYTES = ascii(P_QUOTED);
const P_NULL_BYTES = ascii(P_NULL);
const R_HEAD_BYTES = ascii(R_HEAD);

/** Copies `bytes` to buf[pos…]; returns the position after them. */
function put(buf: Buffer, pos: number, bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i];
  return pos;
}

function copy44(buf: Buffer, pos: number, src: Uint8Array, at: number): number {
  for (let i = at; i < at + BASE64_HASH_LENGTH; i++) buf[pos++] = src[i];
  return pos;
}

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
    // Written in place with the position in a local: this runs once per mapped identity (issue 6).
    const { buf } = this;
    let pos = put(buf, this.pos, U_HEAD_BYTES);
    pos = copy44(buf, pos, src, u);
    if (prevSrc === null) {
      pos = put(buf, pos, P_NULL_BYTES);
    } else {
      pos = put(buf, pos, P_QUOTED_BYTES);
      pos = copy44(buf, pos, prevSrc, p);
      pos = put(buf, pos, R_HEAD_BYTES);
    }
    this.pos = pos;
    this.integer(r);
    this.buf[this.pos++] = 0x7d; // }
  }

  /** The JSON written so far (a view of the writer's buffer). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** A non-negative safe integer as digits; anything else as JavaScript prints it (as `mappedJson`). */
  private integer(r: number): void {
    if (!(r >= 0 && r <= MAX_INT32 && Number.isInteger(r))) {
      if (Number.isSafeInteger(r) && r >= 0) this.largeInteger(r);
      else this.ascii(String(r));
      return;
    }
    // Int32 arithmetic: epoch seconds (the `r` of every answer) fit until 2038.
    let digits = 1;
    for (let t = r; t >= 10; t = (t / 10) | 0) digits++;
    this.reserve(digits);
    const { buf } = this;
    let t = r;
    for (let i = this.pos + digits - 1; i >= this.pos; i--) {
      const q = (t / 10) | 0;
      buf[i] = ZERO + (t - q * 10);
      t = q;
    }
    this.pos += digits;
  }

  private largeInteger(r: number): void {
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
