/**
 * Mutation operators over bytes (AFL-style): bit flips, interesting values, inserts, deletes,
 * duplications, truncation, and splices from another corpus entry. One call applies 1–4 of them.
 */
import type { Prng } from './prng.ts';

const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x7b, 0x3d, 0x2b, 0x2f];

type Op = (prng: Prng, b: Buffer, other: Buffer) => Buffer;

const ops: Op[] = [
  (p, b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    const i = p.int(out.length);
    out[i] ^= 1 << p.int(8);
    return out;
  },
  (p, b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    out[p.int(out.length)] = p.pick(INTERESTING);
    return out;
  },
  (p, b) => {
    if (b.length === 0) return b;
    const out = Buffer.from(b);
    out[p.int(out.length)] = p.int(256);
    return out;
  },
  (p, b) => {
    const at = p.int(b.length + 1);
    return Buffer.concat([b.subarray(0, at), p.bytes(1 + p.int(8)), b.subarray(at)]);
  },
  (p, b) => {
    if (b.length === 0) return b;
    const at = p.int(b.length);
    const len = 1 + p.int(Math.min(16, b.length - at));
    return Buffer.concat([b.subarray(0, at), b.subarray(at + len)]);
  },
  (p, b) => b.subarray(0, p.int(b.length + 1)),
  (p, b) => {
    if (b.length === 0) return b;
    const at = p.int(b.length);
    const len = 1 + p.int(Math.min(32, b.length - at));
    return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
  },
  (p, b, other) => {
    const cut = p.int(b.length + 1);
    return Buffer.concat([b.subarray(0, cut), other.subarray(p.int(other.length + 1))]);
  },
  (p, b) => Buffer.concat([b, Buffer.alloc(p.int(64), p.pick(INTERESTING))]),
  (p) => p.bytes(p.int(96)),
];

export function mutateBytes(prng: Prng, input: Buffer, other: Buffer = input): Buffer {
  let out = input;
  const rounds = 1 + prng.int(4);
  for (let i = 0; i < rounds; i++) out = prng.pick(ops)(prng, out, other);
  return out;
}
