import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeBase64,
  decodeBase64Bytes,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  isBase64,
  isBase64Url,
} from '../../src/protocol/base64.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { loadVectors } from '../support/shared.ts';

loadVectors().base64url.forEach((v: { bytes_hex: string; base64url: string; base64: string }, i: number) => {
  test(`base64url/${i}`, () => {
    const bytes = Buffer.from(v.bytes_hex, 'hex');
    assert.equal(encodeBase64Url(bytes), v.base64url);
    assert.equal(encodeBase64(bytes), v.base64);
    assert.equal(decodeBase64Url(v.base64url).toString('hex'), v.bytes_hex);
    assert.equal(decodeBase64(v.base64).toString('hex'), v.bytes_hex);
  });
});

test('strict decoding rejects what Java rejects', () => {
  for (const bad of ['A', 'AB=C', 'AB===', 'A===', 'AB=', 'ABC==', ' ABC', 'AB C', 'AB-_', 'ABCD=']) {
    assert.equal(isBase64(bad), false, bad);
    assert.throws(() => decodeBase64(bad), (e) => isProtocolError(e, 'ERR_BASE64'), bad);
  }
  for (const bad of ['A', 'AB+/', 'AB=C', 'A===']) {
    assert.throws(() => decodeBase64Url(bad), (e) => isProtocolError(e, 'ERR_BASE64'), bad);
  }
  // Padding optional and non-canonical trailing bits accepted (vectors README §3).
  assert.deepEqual(decodeBase64('AB'), Buffer.from('AB==', 'base64'));
  assert.deepEqual(decodeBase64('AB=='), decodeBase64('AB'));
  assert.deepEqual(decodeBase64('AF=='), Buffer.of(0));
});

test('strict base64 agrees with Buffer on every string it accepts', () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ .';
  const arb = fc.string({ unit: fc.constantFrom(...alphabet), maxLength: 12 });
  fc.assert(
    fc.property(arb, (s) => {
      if (isBase64(s)) {
        assert.deepEqual(decodeBase64(s), Buffer.from(s, 'base64'));
        // Canonical re-encoding decodes to the same bytes.
        assert.deepEqual(decodeBase64(encodeBase64(decodeBase64(s))), decodeBase64(s));
      } else {
        assert.throws(() => decodeBase64(s), (e) => isProtocolError(e, 'ERR_BASE64'));
      }
      if (isBase64Url(s)) assert.deepEqual(decodeBase64Url(s), Buffer.from(s, 'base64url'));
      else assert.throws(() => decodeBase64Url(s), (e) => isProtocolError(e, 'ERR_BASE64'));
    }),
    { numRuns: 200 },
  );
});

test('every byte string round-trips through both alphabets', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const buf = Buffer.from(bytes);
      assert.deepEqual(decodeBase64(encodeBase64(bytes)), buf);
      assert.deepEqual(decodeBase64Url(encodeBase64Url(bytes)), buf);
      assert.equal(encodeBase64(bytes), buf.toString('base64'));
    }),
    { numRuns: 200 },
  );
});

test('decodeBase64Bytes accepts and decodes exactly what decodeBase64 does, for text held as bytes', () => {
  const reference = (bytes: Buffer) => {
    const text = bytes.toString('latin1');
    return isBase64(text) ? Buffer.from(text, 'base64') : null;
  };
  // Short texts (a token request's body is decoded in a loop of its own) and texts around and past
  // 1 KiB (where Node's decoder takes over).
  const valid = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 760, maxLength: 780 })).map((b) => Buffer.from(b).toString('base64'));
  // Near misses: one character replaced or inserted, from the alphabet's neighbours and beyond ASCII.
  const odd = fc.constantFrom('=', '-', '_', ' ', '\n', '\r', '.', '!', '\u00e9', '\u00ff', '\u0000', 'A', '/', '+');
  const mutated = fc.tuple(valid, fc.nat(), odd, fc.boolean()).map(([t, at, c, insert]) => {
    const i = t.length === 0 ? 0 : at % t.length;
    return t.slice(0, i) + c + t.slice(insert ? i : i + 1);
  });
  const anyText = fc.string({ unit: fc.constantFrom(...'AZaz09+/=-_ \u00e9'), maxLength: 12 });
  fc.assert(
    fc.property(fc.oneof(valid, mutated, anyText), (text) => {
      const bytes = Buffer.from(text, 'latin1');
      assert.deepEqual(decodeBase64Bytes(bytes), reference(bytes), JSON.stringify(text));
    }),
    { numRuns: 20_000 },
  );
});

test('decodeBase64 accepts and decodes exactly what the strict pattern accepts, any string', () => {
  const reference = (text: string) => (isBase64(text) ? Buffer.from(text, 'base64') : null);
  const attempt = (text: string) => {
    try {
      return decodeBase64(text);
    } catch (err) {
      assert.ok(isProtocolError(err, 'ERR_BASE64'));
      return null;
    }
  };
  const valid = fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'));
  // Near misses, including characters whose low byte is a base64 digit (U+0141 reads as "A").
  const odd = fc.constantFrom('=', '-', '_', ' ', '\n', '.', '\u00e9', '\u0141', '\u012f', '\u4e41', '\ud800', '\u{1f600}', 'A', '+');
  const mutated = fc.tuple(valid, fc.nat(), odd, fc.boolean()).map(([t, at, c, insert]) => {
    const i = t.length === 0 ? 0 : at % t.length;
    return t.slice(0, i) + c + t.slice(insert ? i : i + 1);
  });
  fc.assert(
    fc.property(fc.oneof(valid, mutated, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 })), (text) => {
      assert.deepEqual(attempt(text), reference(text), JSON.stringify(text));
    }),
    { numRuns: 20_000 },
  );
});
