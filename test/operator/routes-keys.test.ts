/**
 * /v2/key/latest, /v2/key/sharing, /v2/key/bidstream over the upstream fixtures with v2
 * encryption on (spec §4.10, §8.3): exact JSON, role rules, ACLs, master keyset 9999999,
 * token_expiry_seconds as a string, +10 s tolerance, site_data only with CSTG.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../support/shared.ts';
import { buildClientSnapshot } from '../../src/operator/stores/client-store.ts';
import { CLIENTS, callV2, fixtureOperator, type TestOperator } from './support/operator-fixture.ts';

const fixture = (store: string) => JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core', 'test', store, `${store}.json`), 'utf8'));
const KEYS: any[] = fixture('keyset_keys');
const clients: any[] = fixture('clients');
const clientOf = (name: string) => {
  const c = clients.find((x) => x.name === name);
  return { key: c.key as string, secret: c.secret as string };
};
const DATA_PROVIDER = clientOf('Data Provider'); // MAPPER, SHARER, site 125
const PUBLISHER = clientOf('Publisher'); // GENERATOR only

function keyJson(id: number, extra: Record<string, number> = {}) {
  const k = KEYS.find((x) => x.id === id);
  // Upstream re-encodes the key bytes, so key 11's non-canonical base64 comes back canonical.
  return { id: k.id, created: k.created, activates: k.activates, expires: k.expires, secret: Buffer.from(k.secret, 'base64').toString('base64'), ...extra };
}

const SITE_123 = { id: 123, domain_names: ['123456789', 'com.123.Game.App.android', 'com.123.Game.App.ios', 'com.uid2.devapp', 'localhost', 'uidapi.com'] };
const SITE_127 = { id: 127, domain_names: ['13456789', 'com.UID2.operator.TEST', 'example.com', 'unifiedid.com'] };

let op: TestOperator;
before(async () => {
  op = await fixtureOperator();
});
after(async () => {
  await op.close();
});

test('key/sharing for an ID_READER (DSP, site 123): own keysets with keyset_id, ACL-allowed keys without, site_data', async () => {
  const { res, json } = await callV2(op, { path: '/v2/key/sharing', client: CLIENTS.dsp });
  assert.equal(res.statusCode, 200);
  assert.equal(json.status, 'success');
  assert.deepEqual(json.body, {
    caller_site_id: 123,
    master_keyset_id: 9999999,
    default_keyset_id: 501,
    token_expiry_seconds: '2592000',
    identity_scope: 'UID2',
    allow_clock_skew_seconds: 1800,
    keys: [keyJson(5, { keyset_id: 502 }), keyJson(11), keyJson(101, { keyset_id: 9999999 }), keyJson(104, { keyset_id: 501 })],
    site_data: [SITE_123, SITE_127],
  });
  // The exact wire text keeps the expiry a JSON string.
  assert.match(JSON.stringify(json.body), /"token_expiry_seconds":"2592000"/);
});

test('key/sharing for a SHARER with every role (site 999): master key only, max_sharing_lifetime + 10, no default keyset', async () => {
  const { json } = await callV2(op, { path: '/v2/key/sharing' });
  assert.deepEqual(json.body, {
    caller_site_id: 999,
    master_keyset_id: 9999999,
    token_expiry_seconds: '2592000',
    max_sharing_lifetime_seconds: 2592010,
    identity_scope: 'UID2',
    allow_clock_skew_seconds: 1800,
    keys: [keyJson(101, { keyset_id: 9999999 })],
    site_data: [],
  });
});

test('key/sharing for a SHARER without ID_READER: allowed_sites=null keysets stay closed', async () => {
  const { res, json } = await callV2(op, { path: '/v2/key/sharing', client: DATA_PROVIDER });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(json.body.keys.map((k: any) => k.id), [101]);
  assert.equal(json.body.max_sharing_lifetime_seconds, 2592010);
});

test('key/bidstream: keys without keyset_id, max_bidstream_lifetime + 10, site_data', async () => {
  const { res, json } = await callV2(op, { path: '/v2/key/bidstream', client: CLIENTS.dsp });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(json.body, {
    max_bidstream_lifetime_seconds: 3610,
    identity_scope: 'UID2',
    allow_clock_skew_seconds: 1800,
    keys: [keyJson(5), keyJson(11), keyJson(101), keyJson(104)],
    site_data: [SITE_123, SITE_127],
  });
});

test('key/latest: accessible keys with the site of their keyset', async () => {
  const { res, json } = await callV2(op, { path: '/v2/key/latest', client: CLIENTS.dsp });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(json.body, [keyJson(5, { site_id: 123 }), keyJson(11, { site_id: 127 }), keyJson(101, { site_id: -1 }), keyJson(104, { site_id: 123 })]);
});

test('key routes answer binary envelopes in binary', async () => {
  const { res, json } = await callV2(op, { path: '/v2/key/sharing', client: CLIENTS.dsp, binary: true });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.equal(json.body.caller_site_id, 123);
});

test('role rules: bidstream and latest need ID_READER, sharing SHARER or ID_READER', async () => {
  const cases: [string, { key: string; secret: string }, number][] = [
    ['/v2/key/bidstream', DATA_PROVIDER, 401],
    ['/v2/key/latest', DATA_PROVIDER, 401],
    ['/v2/key/sharing', PUBLISHER, 401],
    ['/v2/key/bidstream', PUBLISHER, 401],
    ['/v2/key/latest', PUBLISHER, 401],
    ['/v2/key/sharing', DATA_PROVIDER, 200],
  ];
  for (const [path, client, code] of cases) {
    const { res, json } = await callV2(op, { path, client });
    assert.equal(res.statusCode, code, path);
    if (code === 401) assert.deepEqual(json, { status: 'unauthorized' });
  }
});

test('key/latest refuses reserved caller sites with invalid_client', async () => {
  const clientsRef = op.deps.stores.clients;
  const previous = clientsRef.current();
  // The same clients.json with the legacy (unprefixed) key moved to reserved site 2 (spec §2.1);
  // a prefixed key names its site, so only a legacy key can carry a different one.
  const legacy = clientOf('Special (Old)');
  const moved = clients.map((c) => (c.key === legacy.key ? { ...c, site_id: 2 } : c));
  clientsRef.swap(buildClientSnapshot(moved, previous.version + 1));
  try {
    const { res, json } = await callV2(op, { path: '/v2/key/latest', client: legacy });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(json, { status: 'invalid_client', message: 'Unexpected client site id 2' });
  } finally {
    clientsRef.swap(previous);
  }
});

test('without CSTG there is no site_data; EUID scope is reported', async () => {
  const other = await fixtureOperator({ client_side_token_generate: false, identity_scope: 'euid' });
  try {
    const sharing = await callV2(other, { path: '/v2/key/sharing', client: CLIENTS.dsp });
    assert.equal(sharing.json.body.identity_scope, 'EUID');
    assert.ok(!('site_data' in sharing.json.body));
    const bidstream = await callV2(other, { path: '/v2/key/bidstream', client: CLIENTS.dsp });
    assert.ok(!('site_data' in bidstream.json.body));
  } finally {
    await other.close();
  }
});

test('key routes ignore the request JSON but still enforce the envelope', async () => {
  const withJunk = await callV2(op, { path: '/v2/key/sharing', client: CLIENTS.dsp, payload: { anything: [1, 2] } });
  assert.equal(withJunk.res.statusCode, 200);
  const wrongSecret = await callV2(op, { path: '/v2/key/sharing', client: { key: CLIENTS.dsp.key, secret: CLIENTS.special.secret } });
  assert.equal(wrongSecret.res.statusCode, 400);
  assert.equal(wrongSecret.json.status, 'client_error');
});
