import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesGcmDecrypt,
  aesGcmDecryptDetached,
  aesGcmEncrypt,
  aesGcmSealInto,
  aesGcmSealText,
  gcmSealedLength,
  randomBytesPooled,
} from '../../src/protocol/aes.ts';
import { loadVectors } from '../support/shared.ts';
import { assertCovered, hex, isProtocolError, vectorName, type Vector } from './vector-support.ts';

const vectors: Vector[] = loadVectors().aes_primitives;

vectors.forEach((v, i) => {
  test(vectorName('aes_primitives', v, i), () => {
    assertCovered(v, ['key_hex', 'ciphertext_hex', 'plaintext']);
    const key = Buffer.from(v.key_hex, 'hex');
    const data = Buffer.from(v.ciphertext_hex, 'hex');
    const isGcm = String(v.algorithm).includes('GCM');
    const plain = isGcm ? aesGcmDecrypt(key, data) : aesCbcDecrypt(key, data);
    assert.equal(plain.toString('utf8'), v.plaintext);
    // Re-encrypting with the vector's IV gives the vector's bytes.
    const again = isGcm ? aesGcmEncrypt(key, v.plaintext, { iv: data.subarray(0, 12) }) : aesCbcEncrypt(key, Buffer.from(v.plaintext), data.subarray(0, 16));
    assert.equal(hex(again), v.ciphertext_hex);
  });
});

const key32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

test('AES-GCM round trip, with and without AAD', () => {
  fc.assert(
    fc.property(key32, bytes, fc.option(bytes, { nil: undefined }), (key, plain, aad) => {
      const sealed = aesGcmEncrypt(key, plain, { aad });
      assert.equal(sealed.length, gcmSealedLength(plain.length));
      assert.deepEqual(aesGcmDecrypt(key, sealed, aad), plain);
      assert.deepEqual(aesGcmDecryptDetached(key, sealed.subarray(0, 12), sealed.subarray(12), aad), plain);
    }),
    { numRuns: 200 },
  );
});

test('AES-GCM multi-part plaintext equals the concatenation; sealInto writes at an offset', () => {
  fc.assert(
    fc.property(key32, bytes, fc.string(), (key, head, tail) => {
      const iv = Buffer.alloc(12, 7);
      const whole = aesGcmEncrypt(key, Buffer.concat([head, Buffer.from(tail, 'utf8')]), { iv });
      assert.deepEqual(aesGcmEncrypt(key, [head, tail], { iv }), whole);
      const out = Buffer.alloc(3 + whole.length);
      assert.equal(aesGcmSealInto(out, 3, key, [head, tail], { iv }), out.length);
      assert.deepEqual(out.subarray(3), whole);
    }),
    { numRuns: 200 },
  );
});

test('AES-CBC round trip', () => {
  fc.assert(
    fc.property(key32, bytes, (key, plain) => {
      assert.deepEqual(aesCbcDecrypt(key, aesCbcEncrypt(key, plain)), plain);
    }),
    { numRuns: 200 },
  );
});

test('AES-GCM: every truncation, bit flip, wrong key or wrong AAD is ERR_DECRYPT', () => {
  const key = Buffer.alloc(32, 1);
  const sealed = aesGcmEncrypt(key, 'hello world', { aad: Buffer.from('aad') });
  for (let n = 0; n < sealed.length; n++) {
    assert.throws(() => aesGcmDecrypt(key, sealed.subarray(0, n), Buffer.from('aad')), isProtocolError('ERR_DECRYPT'));
  }
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const flipped = Buffer.from(sealed);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => aesGcmDecrypt(key, flipped, Buffer.from('aad')), isProtocolError('ERR_DECRYPT'));
  }
  assert.throws(() => aesGcmDecrypt(Buffer.alloc(32, 2), sealed, Buffer.from('aad')), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => aesGcmDecrypt(key, sealed), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => aesGcmDecrypt(Buffer.alloc(16), sealed), isProtocolError('ERR_DECRYPT'));
});

test('AES-CBC: bad lengths and wrong keys are ERR_DECRYPT with one message', () => {
  const key = Buffer.alloc(32, 1);
  const data = aesCbcEncrypt(key, Buffer.from('some legacy payload'));
  const messages = new Set<string>();
  const typed = (err: unknown) => isProtocolError('ERR_DECRYPT')(err) && messages.add((err as Error).message) !== undefined;
  for (const n of [0, 15, 16, 17, 31, data.length - 1]) assert.throws(() => aesCbcDecrypt(key, data.subarray(0, n)), typed);
  // CBC is unauthenticated: a wrong key usually breaks the padding. Whatever happens, it is
  // never the right plaintext and never an untyped error.
  for (let i = 2; i < 20; i++) {
    try {
      assert.notEqual(aesCbcDecrypt(Buffer.alloc(32, i), data).toString(), 'some legacy payload');
    } catch (err) {
      assert.ok(typed(err));
    }
  }
  assert.equal(messages.size, 1);
});

test('randomBytesPooled returns distinct random bytes of the requested length', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    const b = randomBytesPooled(12);
    assert.equal(b.length, 12);
    seen.add(hex(b));
  }
  assert.equal(seen.size, 10_000);
  assert.equal(randomBytesPooled(20_000).length, 20_000);
});

test('aesGcmSealText gives the text of prefix ‖ aesGcmEncrypt, in the reused buffer and past it', () => {
  const key = Buffer.alloc(32, 9);
  const text = fc.string({ unit: fc.constantFrom('a', '"', 'é', '€', '\u{1f600}', '\n'), maxLength: 40 });
  // Plaintexts small enough for the reused buffer, and one far past it (64 KiB).
  const size = fc.oneof(fc.constant(0), fc.nat(300), fc.constant(70_000));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 6 }), text, size, fc.boolean(), fc.uint8Array({ minLength: 12, maxLength: 12 }), (prefix, s, n, url, iv) => {
      const plain = [s, Buffer.alloc(n, 0x41), s];
      const expected = Buffer.concat([prefix, aesGcmEncrypt(key, plain, { iv })]);
      const encoding = url ? 'base64url' : 'base64';
      const first = aesGcmSealText(key, prefix, plain, encoding, { iv });
      // A second call reuses the buffer; the first text is its own string, unchanged.
      const second = aesGcmSealText(key, prefix, 'other', encoding);
      assert.equal(first, expected.toString(encoding));
      assert.notEqual(second, first);
      assert.deepEqual(aesGcmDecrypt(key, Buffer.from(first, encoding).subarray(prefix.length)).toString('utf8'), `${s}${'A'.repeat(n)}${s}`);
    }),
    { numRuns: 300 },
  );
});
