import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  decodeIdentityHash,
  isValidPhone,
  normalizeEmail,
  normalizeIdentityHash,
  parseIdentity,
  type IdentityField,
} from '../../src/protocol/identity-input.ts';
import { IdentityType } from '../../src/protocol/identity-kinds.ts';
import { loadVectors } from '../support/shared.ts';

const vectors = loadVectors();
const sha256B64 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('base64');

vectors.normalization.email.forEach((v: { input: string; normalized: string | null; sha256_b64: string | null }, i: number) => {
  test(`normalization.email/${i}`, () => {
    assert.equal(normalizeEmail(v.input), v.normalized);
    const identity = parseIdentity('email', v.input);
    assert.equal(identity === null ? null : identity.hash.toString('base64'), v.sha256_b64);
    if (identity !== null) assert.equal(identity.type, IdentityType.Email);
    if (v.normalized !== null) assert.equal(sha256B64(v.normalized), v.sha256_b64);
  });
});

vectors.normalization.phone.forEach((v: { input: string | null; valid: boolean; sha256_b64: string | null }, i: number) => {
  test(`normalization.phone/${i}`, () => {
    assert.equal(isValidPhone(v.input), v.valid);
    const identity = parseIdentity('phone', v.input);
    assert.equal(identity !== null, v.valid);
    assert.equal(identity === null ? null : identity.hash.toString('base64'), v.sha256_b64);
    if (identity !== null) assert.equal(identity.type, IdentityType.Phone);
  });
});

interface HashInputVector {
  field: IdentityField;
  input: string;
  valid: boolean;
  normalized?: string;
  decoded_bytes?: number;
  identity_hash_b64?: string;
}

vectors.normalization.hash_inputs.forEach((v: HashInputVector, i: number) => {
  test(`normalization.hash_inputs/${i}`, () => {
    const identity = parseIdentity(v.field, v.input);
    assert.equal(identity !== null, v.valid);
    assert.equal(decodeIdentityHash(v.input) !== null, v.valid);
    assert.equal(normalizeIdentityHash(v.input), v.valid ? v.normalized : null);
    if (identity === null) {
      assert.equal(v.decoded_bytes, undefined);
      assert.equal(v.identity_hash_b64, undefined);
      return;
    }
    assert.equal(identity.type, v.field === 'email_hash' ? IdentityType.Email : IdentityType.Phone);
    assert.equal(identity.hash.length, v.decoded_bytes);
    // The identity hash used afterwards is the canonical re-encoding of the decoded bytes.
    assert.equal(identity.hash.toString('base64'), v.identity_hash_b64);
  });
});

test('parseIdentity rejects non-string values and unknown fields', () => {
  for (const field of ['email', 'phone', 'email_hash', 'phone_hash'] as const) {
    for (const value of [null, undefined, 42, {}, ['a@b'], true]) assert.equal(parseIdentity(field, value), null);
  }
  assert.equal(parseIdentity('first_level_hash' as IdentityField, 'a@b'), null);
});

test('normalizeEmail is idempotent and never throws', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 40 }), (s) => {
      const once = normalizeEmail(s);
      if (once !== null) assert.equal(normalizeEmail(once), once);
    }),
    { numRuns: 200 },
  );
});

test('a 64-char hex hash and its base64 give the same identity hash', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const fromHex = decodeIdentityHash(buf.toString('hex').toUpperCase());
      const fromB64 = decodeIdentityHash(buf.toString('base64'));
      assert.ok(fromHex?.equals(buf));
      assert.ok(fromB64?.equals(buf));
    }),
    { numRuns: 200 },
  );
});
