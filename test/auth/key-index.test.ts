import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir, loadVectors } from '../support/shared.ts';
import {
  KeyIndex,
  hashKey,
  parseBearer,
  parseClientRecords,
  parseOperatorRecords,
  siteIdOfKey,
  AuthRecordError,
  type ClientRecord,
} from '../../src/auth/index.ts';

const clientsJson = JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core/test/clients/clients.json'), 'utf8'));

for (const v of loadVectors().client_key_hash) {
  test(`client_key_hash/${v.key_id ?? v.key}`, () => {
    const salt = v.salt_b64 !== undefined ? Buffer.from(v.salt_b64, 'base64') : Buffer.from(v.salt_utf8, 'utf8');
    assert.equal(hashKey(salt, v.key), v.key_hash_b64);
  });
}

test('parseClientRecords reads the fixture and drops the plaintext key', () => {
  const records = parseClientRecords(clientsJson);
  assert.equal(records.length, clientsJson.length);
  const special = records.find((r) => r.keyId === 'UID2-C-L-999-fCXrM')!;
  assert.equal(special.siteId, 999);
  assert.equal(special.secret.length, 32);
  assert.equal(special.serviceId, 0);
  assert.ok(special.roles.has('GENERATOR'));
  assert.ok(special.roles.has('UNKNOWN'), 'unknown role strings become UNKNOWN');
  assert.equal((special as unknown as Record<string, unknown>).key, undefined);
  assert.ok(Object.isFrozen(special));
});

test('every fixture key is found, with site narrowing for formatted keys', () => {
  const index = new KeyIndex(parseClientRecords(clientsJson));
  for (const raw of clientsJson) {
    const found = index.lookup(raw.key);
    assert.equal(found?.keyId, raw.key_id, raw.key_id);
  }
  assert.equal(index.lookup('UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAX='), undefined);
  assert.equal(index.lookup(''), undefined);
});

test('a formatted key naming the wrong site is not found (only that site\'s salts are tried)', () => {
  const index = new KeyIndex(parseClientRecords(clientsJson));
  const real = 'UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=';
  assert.ok(index.lookup(real));
  // Re-register the same record under another site: the key now names a site without that salt.
  const moved = parseClientRecords(clientsJson.map((r: Record<string, unknown>) => (r.key === real ? { ...r, site_id: 5 } : r)));
  assert.equal(new KeyIndex(moved).lookup(real), undefined);
});

test('authorize requires enabled record and one of the roles', () => {
  const records = parseClientRecords(clientsJson);
  const index = new KeyIndex(records);
  const special = 'UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=';
  const dsp = 'UID2-C-L-123-t32pCM.5NCX1E94UgOd2f8zhsKmxzCoyhXohHYSSWR8U=';
  assert.ok(index.authorize(special, ['GENERATOR']));
  assert.equal(index.authorize(dsp, ['GENERATOR']), undefined);
  assert.ok(index.authorize(dsp, ['SHARER', 'ID_READER']));
  assert.equal(index.authorize(undefined, ['GENERATOR']), undefined);
  const disabled = parseClientRecords(clientsJson.map((r: Record<string, unknown>) => (r.key === special ? { ...r, disabled: true } : r)));
  assert.equal(new KeyIndex(disabled).authorize(special, ['GENERATOR']), undefined);
});

test('the lookup cache is bounded and caches misses', () => {
  const index = new KeyIndex<ClientRecord>(parseClientRecords(clientsJson), 2);
  for (let i = 0; i < 10; i++) assert.equal(index.lookup(`missing-${i}`), undefined);
  const cache = (index as unknown as { cache: Map<string, unknown> }).cache;
  assert.equal(cache.size, 2);
  assert.ok(cache.has('missing-9'));
});

test('parseBearer: case-insensitive prefix, trimmed value', () => {
  assert.equal(parseBearer('Bearer abc'), 'abc');
  assert.equal(parseBearer('bEaReR   abc  '), 'abc');
  assert.equal(parseBearer('Basic abc'), undefined);
  assert.equal(parseBearer('Bearer '), undefined);
  assert.equal(parseBearer(undefined), undefined);
});

test('siteIdOfKey reads the site of formatted keys only', () => {
  assert.equal(siteIdOfKey('UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo='), 999);
  assert.equal(siteIdOfKey('EUID-O-P-12-abcdef.' + 'x'.repeat(38)), 12);
  assert.equal(siteIdOfKey('LOCALbGlvbnVuZGVybGluZXdpbmRzY2FyZWRzb2Z0ZGVzZXI='), undefined);
});

test('parseOperatorRecords adds OPERATOR and defaults type/protocol', () => {
  const salt = Buffer.alloc(32, 7);
  const key = 'UID2-O-L-5-abcdef.' + 'y'.repeat(38);
  const records = parseOperatorRecords([
    { key_hash: hashKey(salt, key), key_salt: salt.toString('base64'), name: 'op', contact: 'c', created: 1, roles: ['OPTOUT'], site_id: 5, protocol: 'azure-cc', operator_type: 'public' },
    { key_hash: 'AA==', key_salt: 'AA==', name: 'op2', contact: 'c', created: 1 },
  ]);
  assert.deepEqual([...records[0].roles].sort(), ['OPERATOR', 'OPTOUT']);
  assert.equal(records[0].operatorType, 'PUBLIC');
  assert.equal(records[1].operatorType, 'PRIVATE');
  assert.equal(records[1].protocol, 'trusted');
  assert.equal(records[1].siteId, undefined);
  assert.equal(new KeyIndex(records).authorize(key, ['OPTOUT'])?.name, 'op');
});

test('malformed records are rejected with a clear message', () => {
  assert.throws(() => parseClientRecords({}), AuthRecordError);
  assert.throws(() => parseClientRecords([null]), /record 0: not an object/);
  assert.throws(() => parseClientRecords([{ ...clientsJson[0], secret: 'AAAA' }]), /32 bytes/);
  assert.throws(() => parseClientRecords([{ ...clientsJson[0], site_id: 'x' }]), /site_id/);
  assert.throws(() => parseOperatorRecords([{ key_hash: 'a', key_salt: 'b', operator_type: 'weird' }]), /operator_type/);
});
