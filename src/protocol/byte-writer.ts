/**
 * Big-endian writes into a buffer sized once up front (perf-notes: no `Buffer.concat` chains).
 * Encoders compute the exact output length from the layout table, allocate, and fill.
 */
import { ProtocolError } from './errors.ts';

const TWO_POW_32 = 0x1_0000_0000;

export class ByteWriter {
  readonly buf: Buffer;
  private pos: number;

  constructor(buf: Buffer, start = 0) {
    this.buf = buf;
    this.pos = start;
  }

  static alloc(size: number): ByteWriter {
    return new ByteWriter(Buffer.allocUnsafe(size));
  }

  get offset(): number {
    return this.pos;
  }

  u8(value: number): this {
    this.buf[this.pos++] = value & 0xff;
    return this;
  }

  i32(value: number): this {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) {
      throw new ProtocolError('ERR_INVALID_INPUT', 'int32 field out of range');
    }
    this.buf.writeInt32BE(value, this.pos);
    this.pos += 4;
    return this;
  }

  /** int64 from a JS number; only safe integers are accepted so nothing is silently rounded. */
  i64(value: number): this {
    if (!Number.isSafeInteger(value)) throw new ProtocolError('ERR_INVALID_INPUT', 'int64 field is not a safe integer');
    const hi = Math.floor(value / TWO_POW_32);
    this.buf.writeInt32BE(hi, this.pos);
    this.buf.writeUInt32BE(value - hi * TWO_POW_32, this.pos + 4);
    this.pos += 8;
    return this;
  }

  bytes(src: Uint8Array): this {
    this.buf.set(src, this.pos);
    this.pos += src.length;
    return this;
  }

  /** Moves past `n` bytes that another writer (e.g. `aesGcmSealInto`) fills. */
  skip(n: number): this {
    this.pos += n;
    return this;
  }
}
