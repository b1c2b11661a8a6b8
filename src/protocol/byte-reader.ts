/**
 * Bounds-checked big-endian reads over a byte range (spec: "all multi-byte integers in binary
 * formats are big-endian"). Every token decoder reads through this so that a truncated input
 * surfaces as `ProtocolError('ERR_TOO_SHORT')`, never as a `RangeError` from `Buffer`.
 */
import { ProtocolError } from './errors.ts';

const TWO_POW_32 = 0x1_0000_0000;

export class ByteReader {
  private pos: number;
  private readonly end: number;
  private readonly buf: Buffer;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(n: number): number {
    if (n < 0 || this.pos + n > this.end) throw new ProtocolError('ERR_TOO_SHORT', 'input is truncated');
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.buf[this.take(1)];
  }

  i32(): number {
    return this.buf.readInt32BE(this.take(4));
  }

  /** int64 as a JS number; exact for |value| < 2^53, which covers every ms timestamp and id. */
  i64(): number {
    const at = this.take(8);
    return this.buf.readInt32BE(at) * TWO_POW_32 + this.buf.readUInt32BE(at + 4);
  }

  /** A view (no copy) of the next `n` bytes. */
  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  /** A view of everything left. */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Fails unless the range has been consumed exactly: trailing bytes mean a different layout. */
  expectEnd(what: string): void {
    if (this.pos !== this.end) throw new ProtocolError('ERR_FORMAT', `${what} has trailing bytes`);
  }
}
