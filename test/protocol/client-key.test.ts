import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  formatClientKey,
  hashClientKey,
  isClientKeyHashMatch,
  parseClientKey,
  type ClientKeyEnvironment,
  type ClientKeyScope,
  type ClientKeyType,
} from '../../src/protocol/client-key.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { fixturesDir, loadVectors } from '../support/shared.ts';

interface ClientRecord {
  key: string;
  key_hash: string;
  key_salt: string;
  site_id: number;
  key_id: string;
}
const clients: ClientRecord[] = JSON.parse(
  readFileSync(join(fixturesDir, 'com.uid2.core', 'test', 'clients', 'clients.json'), 'utf8'),
);

interface HashVector {
  key: string;
  salt_b64?: string;
  salt_utf8?: string;
  key_hash_b64: string;
  site_id?: number;
  key_id?: string;
}

loadVectors().client_key_hash.forEach((v: HashVector, i: number) => {
  test(`client_key_hash/${i}`, () => {
    const salt = v.salt_b64 ?? Buffer.from(v.salt_utf8 as string, 'utf8');
    assert.equal(hashClientKey(salt, v.key), v.key_hash_b64);
    assert.equal(isClientKeyHashMatch(salt, v.key, v.key_hash_b64), true);
    assert.equal(isClientKeyHashMatch(salt, `${v.key}x`, v.key_hash_b64), false);
    if (v.site_id === undefined && v.key_id === undefined) return;

    // The fixture record with this hash carries the same site and key id ...
    const record = clients.find((c) => c.key_hash === v.key_hash_b64);
    assert.ok(record, 'the vector comes from clients.json');
    assert.equal(record.key_salt, v.salt_b64);
    assert.equal(record.site_id, v.site_id);
    assert.equal(record.key_id, v.key_id);
    // ... and a prefixed key yields both by itself, and re-formats from its random bytes.
    const parts = parseClientKey(v.key);
    if (parts === null) {
      assert.ok(!v.key.startsWith('UID2-') && !v.key.startsWith('EUID-'), 'only legacy keys are unparsable');
      return;
    }
    assert.equal(parts.siteId, v.site_id);
    assert.equal(parts.keyId, v.key_id);
    const random = Buffer.from(v.key.slice(v.key.length - 45).replace('.', ''), 'base64');
    assert.deepEqual(formatClientKey(parts.scopePrefix, parts.type, parts.env, parts.siteId, random), {
      key: v.key,
      keyId: v.key_id,
    });
  });
});

test('parseClientKey rejects malformed keys', () => {
  const good = 'UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=';
  assert.deepEqual(parseClientKey(good), { scopePrefix: 'UID2', type: 'C', env: 'L', siteId: 999, keyId: 'UID2-C-L-999-fCXrM' });
  for (const bad of [
    '',
    good.slice(0, -1),
    `${good}x`,
    good.replace('UID2', 'UID3'),
    good.replace('-C-', '-X-'),
    good.replace('-L-', '-Q-'),
    good.replace('999', ''),
    good.replace('.', '_'),
    'UID2-C-L-99999999999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=',
    'UID2-C-L-999-fCX\nMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=',
  ]) {
    assert.equal(parseClientKey(bad), null, bad);
  }
});

test('formatted keys parse back to their parts', () => {
  const arb = fc.record({
    scope: fc.constantFrom<ClientKeyScope>('UID2', 'EUID'),
    type: fc.constantFrom<ClientKeyType>('C', 'O'),
    env: fc.constantFrom<ClientKeyEnvironment>('L', 'T', 'I', 'P'),
    siteId: fc.integer({ min: 0, max: 0x7fffffff }),
    random: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  });
  fc.assert(
    fc.property(arb, ({ scope, type, env, siteId, random }) => {
      const { key, keyId } = formatClientKey(scope, type, env, siteId, random);
      assert.deepEqual(parseClientKey(key), { scopePrefix: scope, type, env, siteId, keyId });
    }),
    { numRuns: 200 },
  );
});

test('bad client key inputs throw typed errors', () => {
  assert.throws(() => formatClientKey('UID2', 'C', 'L', 1, new Uint8Array(31)), (e) => isProtocolError(e, 'ERR_INVALID_INPUT'));
  assert.throws(() => formatClientKey('UID2', 'C', 'L', -1, new Uint8Array(32)), (e) => isProtocolError(e, 'ERR_INVALID_INPUT'));
  assert.throws(() => hashClientKey('not base64!', 'k'), (e) => isProtocolError(e, 'ERR_BASE64'));
  assert.equal(isClientKeyHashMatch('c2FsdA==', 'k', 'not base64!'), false);
  assert.equal(isClientKeyHashMatch('c2FsdA==', 'k', 'c2FsdA=='), false);
});
