/**
 * Spec-conformance audit (issue 3): identity map, buckets, opt-out status, key sharing and CSTG
 * details (operator-spec.md §4.5-§4.8, §6.4, §8.3, §9; client-expectations.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureOperator, callV2, CLIENTS, FIXTURE_NOW, type TestOperator } from './support/operator-fixture.ts';
import { buildOptOutSnapshot } from '../../src/operator/stores/optout-store.ts';
import { encodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { encryptCstgRequest, decryptCstgResponse } from '../../src/protocol/cstg.ts';

const op = await fixtureOperator();
test.after(() => op.close());

const DAY_MS = 86_400_000;
const CSTG_SERVER_KEY = 'UID2-X-L-MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtXJdTSZAYHvoRDWiehMHoWF1BNPuqLs5w2ZHiAZ1IJc7O4/z0ojPTB0V+KYX/wxQK0hxx6kxCvHj335eI/ZQsQ==';
const EMAIL_HASH = 'lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=';

// §4.5: identifier echoed as given (not normalized); order kept; `unmapped` omitted when empty.
test('§4.5 map v2: identifiers are echoed as sent, in input order', async () => {
  op.clock.set(FIXTURE_NOW);
  const input = ['  User@Example.COM ', 'JANE.SAOIRSE@gmail.com', 'janesaoirse@gmail.com'];
  const { json } = await callV2(op, { path: '/v2/identity/map', payload: { email: input } });
  assert.deepEqual(Object.keys(json.body), ['mapped'], 'no unmapped key when everything mapped');
  assert.deepEqual(json.body.mapped.map((m: { identifier: string }) => m.identifier), input);
  assert.equal(json.body.mapped[1].advertising_id, json.body.mapped[2].advertising_id, 'gmail normalization');
  for (const m of json.body.mapped) {
    assert.ok([32, 33].includes(Buffer.from(m.advertising_id, 'base64').length), 'v2 (salt) or v4 (key) raw UID');
    assert.match(m.bucket_id, /^b[A-Za-z0-9]{9,}$/);
  }
});

// §4.5 with enable_phone_support=false: phone arrays are not identity kinds.
test('§4.5 map v2 without phone support: phone arrays are ignored, message names email only', async () => {
  const noPhone = await fixtureOperator({ enable_phone_support: false });
  try {
    const { res } = await callV2(noPhone, { path: '/v2/identity/map', payload: { phone: ['+12345678901'] } });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(res.json(), { status: 'client_error', message: 'Required Parameter Missing: exactly one of email or email_hash must be specified' });
    const both = await callV2(noPhone, { path: '/v2/identity/map', payload: { email: ['user@example.com'], phone: ['+12345678901'] } });
    assert.equal(both.res.statusCode, 200);
    assert.equal(both.json.body.mapped.length, 1);
    const v3 = await callV2(noPhone, { path: '/v3/identity/map', payload: {} });
    assert.deepEqual(v3.res.json(), { status: 'client_error', message: 'Required Parameter Missing: one or more of [email, email_hash] must be specified' });
  } finally {
    await noPhone.close();
  }
});

// §4.6 / §6.4: `r` is integer seconds; once refresh_from is past, r is the next UTC midnight.
test('§4.6 map v3: r in seconds, next UTC midnight once the bucket refresh_from has passed', async () => {
  const late = Date.UTC(2040, 5, 1, 13, 45, 10, 123); // after every refresh_from of the fixture salts
  op.clock.set(late);
  try {
    const { json } = await callV2(op, { path: '/v3/identity/map', payload: { email: ['user@example.com'], phone: ['+12345678901'], email_hash: [EMAIL_HASH] } });
    assert.deepEqual(Object.keys(json.body).sort(), ['email', 'email_hash', 'phone', 'phone_hash']);
    assert.deepEqual(json.body.phone_hash, []);
    const midnight = Date.UTC(2040, 5, 2) / 1000;
    for (const field of ['email', 'phone', 'email_hash']) {
      const [el] = json.body[field];
      assert.equal(el.r, midnight, field);
      assert.ok(Number.isInteger(el.r));
      assert.equal(el.p, null, `${field}: lastUpdated is more than 90 days ago, so no previous UID`);
    }
  } finally {
    op.clock.set(FIXTURE_NOW);
  }
});

// §4.6: `{"e":"optout"}` and `{"e":"invalid identifier"}` keep their position among mapped items.
test('§4.6 map v3: errors stay aligned with their inputs', async () => {
  const { json } = await callV2(op, { path: '/v3/identity/map', payload: { email: ['user@example.com', 'optout@example.com', 'this is not a hashed email', 'a@b'], email_hash: ['this is not a hashed email'] } });
  const e = json.body.email;
  assert.equal(e.length, 4);
  assert.ok(typeof e[0].u === 'string');
  assert.deepEqual(e[1], { e: 'optout' });
  assert.deepEqual(e[2], { e: 'invalid identifier' });
  assert.ok(typeof e[3].u === 'string', '"a@b" is a valid email (§5)');
  assert.deepEqual(json.body.email_hash, [{ e: 'invalid identifier' }]);
});

// §4.8: exact-string match against base64(adId); opted_out_since = seconds × 1000, earliest record.
test('§4.8 optout/status: earliest timestamp wins, times in ms, only opted-out ids returned', async () => {
  const adId = Buffer.alloc(32, 7);
  const flh = Buffer.alloc(32, 9);
  const records = Buffer.concat([
    encodeOptOutRecord({ identityHash: flh, advertisingId: adId, timestampS: 1_700_000_500 }),
    encodeOptOutRecord({ identityHash: flh, advertisingId: adId, timestampS: 1_700_000_000 }),
  ]);
  const previous = op.deps.stores.optout.current();
  op.deps.stores.optout.swap(buildOptOutSnapshot([records], 2));
  try {
    const other = Buffer.alloc(32, 8).toString('base64');
    const { json } = await callV2(op, { path: '/v2/optout/status', client: CLIENTS.dsp, payload: { advertising_ids: [adId.toString('base64'), other] } });
    assert.deepEqual(json, { status: 'success', body: { opted_out: [{ advertising_id: adId.toString('base64'), opted_out_since: 1_700_000_000_000 }] } });
  } finally {
    op.deps.stores.optout.swap(previous);
  }
});

// §10.1: validate@example.com / +12345678901 are never opted out, even with an opt-out record.
test('§10.1 never-opted-out test identities ignore opt-out records; optout@example.com needs none', async () => {
  const salt = op.deps.stores.salts.current().firstLevelSalt;
  const { firstLevelHash } = await import('../../src/protocol/first-level-hash.ts');
  const { parseIdentity } = await import('../../src/protocol/identity-input.ts');
  const flh = (field: 'email' | 'phone', v: string) => firstLevelHash(parseIdentity(field, v)!.hash, salt);
  const records = Buffer.concat([
    encodeOptOutRecord({ identityHash: flh('email', 'validate@example.com'), advertisingId: Buffer.alloc(32, 1), timestampS: 1_700_000_000 }),
    encodeOptOutRecord({ identityHash: flh('phone', '+12345678901'), advertisingId: Buffer.alloc(32, 2), timestampS: 1_700_000_000 }),
  ]);
  const previous = op.deps.stores.optout.current();
  op.deps.stores.optout.swap(buildOptOutSnapshot([records], 3));
  try {
    const { json } = await callV2(op, { path: '/v3/identity/map', payload: { email: ['validate@example.com', 'optout@example.com'], phone: ['+12345678901', '+00000000000'] } });
    assert.ok(typeof json.body.email[0].u === 'string');
    assert.deepEqual(json.body.email[1], { e: 'optout' });
    assert.ok(typeof json.body.phone[0].u === 'string');
    assert.deepEqual(json.body.phone[1], { e: 'optout' });
    const gen = await callV2(op, { path: '/v2/token/generate', payload: { email: 'validate@example.com' } });
    assert.equal(gen.json.status, 'success');
  } finally {
    op.deps.stores.optout.swap(previous);
  }
});

// §8.3 with key_sharing_endpoint_provide_app_names=false: site_data lists domain names only.
test('§8.3 site_data without app names: domains only, sites without domains left out', async () => {
  const domainsOnly = await fixtureOperator({ key_sharing_endpoint_provide_app_names: false });
  try {
    const { json } = await callV2(domainsOnly, { path: '/v2/key/bidstream', client: CLIENTS.dsp });
    assert.deepEqual(json.body.site_data, [
      { id: 123, domain_names: ['localhost', 'uidapi.com'] },
      { id: 127, domain_names: ['example.com', 'unifiedid.com'] },
    ]);
  } finally {
    await domainsOnly.close();
  }
});

// §8.3: an ID_READER-only caller gets no max_sharing_lifetime_seconds; types are as the SDKs parse them.
test('§8.3 key/sharing field types for an ID_READER-only caller', async () => {
  const { json } = await callV2(op, { path: '/v2/key/sharing', client: CLIENTS.dsp });
  const b = json.body;
  assert.equal('max_sharing_lifetime_seconds' in b, false);
  assert.equal(typeof b.token_expiry_seconds, 'string');
  assert.equal(b.default_keyset_id, 501);
  assert.equal(b.allow_clock_skew_seconds, 1800);
  const ids = b.keys.map((k: { id: number }) => k.id);
  assert.deepEqual(ids, [...ids].sort((x: number, y: number) => x - y), 'sorted by key id');
  assert.ok(ids.includes(11), 'expired keys are not filtered out');
  assert.ok(!ids.includes(102), 'never the refresh key');
});

// §14 EUID: key responses say identity_scope "EUID".
test('§14 EUID key responses carry identity_scope "EUID"', async () => {
  const euid = await fixtureOperator({ identity_scope: 'euid' });
  try {
    for (const path of ['/v2/key/sharing', '/v2/key/bidstream']) {
      const { json } = await callV2(euid, { path, client: CLIENTS.dsp });
      assert.equal(json.body.identity_scope, 'EUID', path);
    }
  } finally {
    await euid.close();
  }
});

function cstg(target: TestOperator, body: unknown, origin?: string) {
  return target.send({ method: 'POST', url: '/v2/token/client-generate', payload: JSON.stringify(body), headers: { 'content-type': 'text/plain', ...(origin ? { origin } : {}) } });
}

function cstgRequest(plaintext = JSON.stringify({ email_hash: EMAIL_HASH }), appName?: string) {
  return encryptCstgRequest({ serverPublicKey: CSTG_SERVER_KEY, plaintext, timestampMs: FIXTURE_NOW, subscriptionId: '4WvryDGbR5', appName });
}

// §9: origin is reduced to eTLD+1 before the domain check; the timestamp is not checked for freshness.
test('§9 CSTG: subdomains and ports of an allowed domain pass; stale timestamps are fine', async () => {
  const { body, sharedSecret } = encryptCstgRequest({ serverPublicKey: CSTG_SERVER_KEY, plaintext: JSON.stringify({ email_hash: EMAIL_HASH }), timestampMs: FIXTURE_NOW - 365 * DAY_MS, subscriptionId: '4WvryDGbR5' });
  for (const origin of ['https://a.b.uidapi.com', 'https://uidapi.com:8443', 'http://www.UIDAPI.com']) {
    const res = await cstg(op, body, origin);
    assert.equal(res.statusCode, 200, origin);
    assert.equal(JSON.parse(decryptCstgResponse(sharedSecret, res.body)).status, 'success');
  }
  assert.equal((await cstg(op, body, 'https://uidapi.com.evil.example')).statusCode, 403);
});

// §9: with client_side_token_generate_domain_name_check_enabled=false any origin (or none) is accepted.
test('§9 CSTG: domain check switched off accepts any origin', async () => {
  const open = await fixtureOperator({ client_side_token_generate_domain_name_check_enabled: false });
  try {
    const { body } = cstgRequest();
    assert.equal((await cstg(open, body, 'https://anything.example')).statusCode, 200);
    assert.equal((await cstg(open, body)).statusCode, 200);
    assert.equal((await cstg(open, { ...body, app_name: 'not.registered' })).statusCode, 400, 'app name is bound in the AAD, so only decryption fails');
  } finally {
    await open.close();
  }
});

// §9: "missing payload/iv/public_key" means absent; present-but-empty values fail their own checks.
test('§9 CSTG: empty payload, iv or public_key are not "missing"', async () => {
  const { body } = cstgRequest();
  const cases: [Record<string, unknown>, string][] = [
    [{ ...body, public_key: '' }, 'bad public key'],
    [{ ...body, iv: '' }, 'bad iv'],
    [{ ...body, payload: '' }, 'payload decryption failed'],
    [{ ...body, iv: null }, 'required parameters: payload, iv, public_key'],
  ];
  for (const [request, message] of cases) {
    const res = await cstg(op, request, 'https://uidapi.com');
    assert.equal(res.statusCode, 400, message);
    assert.deepEqual(res.json(), { status: 'client_error', message });
  }
});
