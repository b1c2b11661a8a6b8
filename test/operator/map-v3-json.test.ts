/**
 * The map v3 element writer (src/operator/identity/map-v3-json.ts): the byte path writes exactly
 * the text of the string path, for every `r` a caller can hand it (the int32 fast path, larger
 * safe integers, and anything JavaScript prints otherwise).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { JsonBytesWriter, mappedJson } from '../../src/operator/identity/map-v3-json.ts';

const hashes = Buffer.from(Array.from({ length: 8 }, () => randomBytes(32).toString('base64')).join(''), 'latin1');
const text = (at: number) => hashes.toString('latin1', at, at + 44);

test('mapped writes the bytes of mappedJson for any r, with and without a previous UID', () => {
  const edges = [0, 1, 9, 10, 99, 100, 1_763_800_000, 0x7fffffff, 0x80000000, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, -1, -0, 1e21, NaN, Infinity];
  const r = fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: 0x7fffffff }), fc.maxSafeNat(), fc.double());
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.option(fc.integer({ min: 0, max: 7 })), r), { maxLength: 20 }), (items) => {
      // A small first capacity, so the writer also grows mid-element.
      const w = new JsonBytesWriter(8);
      let expected = '';
      for (const [u, p, rv] of items) {
        w.mapped(hashes, 44 * u, p === null ? null : hashes, 44 * (p ?? 0), rv);
        expected += mappedJson(text(44 * u), p === null ? null : text(44 * p), rv);
      }
      assert.equal(w.bytes().toString('latin1'), expected);
    }),
  );
});
