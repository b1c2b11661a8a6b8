import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstLevelHash } from '../../src/protocol/first-level-hash.ts';
import { parseIdentity } from '../../src/protocol/identity-input.ts';
import { loadVectors } from '../support/shared.ts';

interface FlhVector {
  identity: string;
  identity_type: 'email' | 'phone';
  identity_hash_b64: string;
  first_level_salt: string;
  first_level_hash_b64: string;
}

loadVectors().first_level_hash.forEach((v: FlhVector, i: number) => {
  test(`first_level_hash/${i}`, () => {
    const identity = parseIdentity(v.identity_type, v.identity);
    assert.ok(identity, 'identity must be valid');
    assert.equal(identity.hash.toString('base64'), v.identity_hash_b64);
    assert.equal(firstLevelHash(identity.hash, v.first_level_salt).toString('base64'), v.first_level_hash_b64);
  });
});

test('the FLH hashes the canonical base64 text, not the raw bytes', () => {
  const hash = Buffer.alloc(32, 7);
  assert.notDeepEqual(firstLevelHash(hash, 'salt'), firstLevelHash(Buffer.alloc(32, 8), 'salt'));
  assert.equal(firstLevelHash(hash, 'salt').length, 32);
});
