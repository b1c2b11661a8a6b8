/**
 * /v2/identity/map, /v3/identity/map and /v2/identity/buckets over the upstream fixtures with v2
 * encryption on (spec §4.5-§4.7, §10.1, §14): vectors `local_mapping`, error messages, binary in/out.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadVectors } from '../support/shared.ts';
import { CLIENTS, FIXTURE_NOW, callV2, fixtureOperator, type TestOperator } from './support/operator-fixture.ts';
import { buildOptOutSnapshot } from '../../src/operator/stores/optout-store.ts';
import { encodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { firstLevelHash } from '../../src/protocol/first-level-hash.ts';
import { parseIdentity } from '../../src/protocol/identity-input.ts';

const PHONE_MSG = 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified';
const V3_MISSING = 'Required Parameter Missing: one or more of [email, email_hash, phone, phone_hash] must be specified';
/** Client keys of fixture clients.json without MAPPER, or with a service id (spec §14). */
const PUBLISHER = { key: 'UID2-C-L-124-H8VwqX.l2G4TCuUWYAqdqkeG/UqtFoPEoXirKn4kHWxc=', secret: 'NcMgi6Y8C80SlxvV7pYlfcvEIo+2b0508tYQ3pKK8HM=' };
const SERVICE_CLIENT = { key: 'UID2-C-L-126-Tv40pS./TtagASU9S0tIqDyBSh283pla4mDyHBZvw+OQ=', secret: 'qcWPpOZmlH2C0xRkdir+7Y+5hhgW1MicOhcqC8y2w8o=' };

let op: TestOperator;
before(async () => {
  op = await fixtureOperator();
});
after(async () => {
  await op.close();
});

const lm = loadVectors().local_mapping;

for (const [i, c] of (lm.cases as any[]).entries()) {
  if (!['email', 'email_hash', 'phone', 'phone_hash'].includes(c.input_field)) continue;
  test(`v3 map local_mapping/${i} ${c.input_field}`, async () => {
    op.clock.set(c.as_of_ms);
    const { res, json } = await callV2(op, { path: '/v3/identity/map', payload: { [c.input_field]: [c.input] }, binary: true });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'application/octet-stream');
    assert.equal(json.status, 'success');
    const always = ['optout@example.com', '+00000000000'].includes(c.input.trim?.() ?? c.input);
    const expected = always ? { e: 'optout' } : { u: c.u, p: c.p ?? null, r: c.r };
    assert.deepEqual(json.body[c.input_field], [expected]);
    for (const other of ['email', 'email_hash', 'phone', 'phone_hash'].filter((f) => f !== c.input_field)) assert.deepEqual(json.body[other], []);
  });
}

test('v2 map: mapped identities carry the current UID and bucket id of the vectors', async () => {
  const c = (lm.cases as any[]).find((x) => x.input === 'test@example.com' && x.as_of_ms === 1795392000000);
  op.clock.set(c.as_of_ms);
  const { res, json } = await callV2(op, { path: '/v2/identity/map', payload: { email: ['test@example.com', 'not an email', 'optout@example.com'] } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.deepEqual(json.body, {
    mapped: [{ identifier: 'test@example.com', advertising_id: c.u, bucket_id: c.bucket_id }],
    unmapped: [
      { identifier: 'not an email', reason: 'invalid identifier' },
      { identifier: 'optout@example.com', reason: 'optout' },
    ],
  });
});

test('v2 map: empty array maps nothing and omits unmapped; phone fields map', async () => {
  op.clock.set(FIXTURE_NOW);
  assert.deepEqual((await callV2(op, { path: '/v2/identity/map', payload: { email: [] } })).json.body, { mapped: [] });
  const { json } = await callV2(op, { path: '/v2/identity/map', payload: { email: [], phone: ['+12345678901', '+00000000000', '12345'] } });
  assert.equal(json.body.mapped.length, 1);
  assert.deepEqual(json.body.unmapped.map((u: any) => u.reason), ['optout', 'invalid identifier']);
});

test('gmail normalization: all spellings map to the same raw UID', async () => {
  op.clock.set(FIXTURE_NOW);
  const emails = ['JANE.SAOIRSE@gmail.com', 'Jane.Saoirse@gmail.com', 'JaneSaoirse+UID2@gmail.com', 'janesaoirse@gmail.com'];
  const { json } = await callV2(op, { path: '/v3/identity/map', payload: { email: emails } });
  const uids = new Set(json.body.email.map((e: any) => e.u));
  assert.equal(uids.size, 1);
  assert.ok(json.body.email[0].u);
});

test('invalid hashes are unmapped "invalid identifier", never an HTTP error', async () => {
  const bad = ['this is not a hashed email', '', 'zz', 'A'.repeat(45)];
  const v3 = await callV2(op, { path: '/v3/identity/map', payload: { email_hash: bad, phone_hash: ['nope'] } });
  assert.equal(v3.res.statusCode, 200);
  assert.deepEqual(v3.json.body.email_hash, bad.map(() => ({ e: 'invalid identifier' })));
  assert.deepEqual(v3.json.body.phone_hash, [{ e: 'invalid identifier' }]);
  const v2 = await callV2(op, { path: '/v2/identity/map', payload: { email_hash: ['this is not a hashed email', 5, null] } });
  assert.equal(v2.res.statusCode, 200);
  assert.deepEqual(v2.json.body.unmapped, [
    { identifier: 'this is not a hashed email', reason: 'invalid identifier' },
    { identifier: null, reason: 'invalid identifier' },
    { identifier: null, reason: 'invalid identifier' },
  ]);
});

test('the opt-out store marks identities opted out in both map versions', async () => {
  op.clock.set(FIXTURE_NOW);
  const salts = op.deps.stores.salts.current();
  const identity = parseIdentity('email', 'someone-opted-out@example.com')!;
  const flh = firstLevelHash(identity.hash, salts.firstLevelSalt);
  const previous = op.deps.stores.optout.current();
  op.deps.stores.optout.swap(buildOptOutSnapshot([encodeOptOutRecord({ identityHash: flh, advertisingId: Buffer.alloc(32, 7), timestampS: 1_700_000_000n })], 99));
  try {
    const v3 = await callV2(op, { path: '/v3/identity/map', payload: { email: ['someone-opted-out@example.com', 'user@example.com'] } });
    assert.deepEqual(v3.json.body.email[0], { e: 'optout' });
    assert.ok(v3.json.body.email[1].u);
    const v2 = await callV2(op, { path: '/v2/identity/map', payload: { email: ['someone-opted-out@example.com'] } });
    assert.deepEqual(v2.json.body, { mapped: [], unmapped: [{ identifier: 'someone-opted-out@example.com', reason: 'optout' }] });
  } finally {
    op.deps.stores.optout.swap(previous);
  }
});

const v2Errors: [string, unknown, number, string | undefined][] = [
  ['no identity key', { foo: ['a'] }, 400, PHONE_MSG],
  ['empty payload', null, 400, PHONE_MSG],
  ['two non-empty kinds', { email: ['a@b.com'], phone: ['+12345678901'] }, 400, PHONE_MSG],
  ['non-array value', { email: 'a@b.com' }, 400, 'email must be an array'],
  ['non-array phone_hash', { phone_hash: 7 }, 400, 'phone_hash must be an array'],
];
for (const [name, payload, code, message] of v2Errors) {
  test(`v2 map error: ${name}`, async () => {
    const { res, json } = await callV2(op, { path: '/v2/identity/map', payload: payload as any });
    assert.equal(res.statusCode, code);
    assert.deepEqual(json, { status: 'client_error', message });
  });
}

const v3Errors: [string, unknown, string][] = [
  ['empty object', {}, V3_MISSING],
  ['no payload', null, V3_MISSING],
  ['unknown key', { email: ['a@b.com'], emails: [] }, 'Incorrect request format'],
  ['link_id is unknown to v3', { email: ['a@b.com'], link_id: 'testId1' }, 'Incorrect request format'],
  ['null element', { email: ['a@b.com', null] }, 'Incorrect request format'],
  ['number element', { phone: [12345678901] }, 'Incorrect request format'],
  ['non-array value', { email: 'a@b.com' }, 'Incorrect request format'],
  ['object value', { email_hash: { a: 1 } }, 'Incorrect request format'],
];
for (const [name, payload, message] of v3Errors) {
  test(`v3 map error: ${name}`, async () => {
    const { res, json } = await callV2(op, { path: '/v3/identity/map', payload: payload as any });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(json, { status: 'client_error', message });
  });
}

test('v3 map: null arrays count as absent; all four keys are always answered', async () => {
  const { res, json } = await callV2(op, { path: '/v3/identity/map', payload: { email: null, phone: ['+12345678901'] } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(Object.keys(json.body).sort(), ['email', 'email_hash', 'phone', 'phone_hash']);
  assert.equal(json.body.phone.length, 1);
});

test('identity routes need MAPPER: other roles and bad keys get 401 {"status":"unauthorized"}', async () => {
  for (const path of ['/v2/identity/map', '/v3/identity/map', '/v2/identity/buckets']) {
    const { res, json } = await callV2(op, { path, payload: { email: ['a@b.com'] }, client: PUBLISHER });
    assert.equal(res.statusCode, 401, path);
    assert.deepEqual(json, { status: 'unauthorized' });
    const bad = await callV2(op, { path, payload: {}, client: { key: 'UID2-C-L-999-nope', secret: CLIENTS.special.secret } });
    assert.equal(bad.res.statusCode, 401);
  }
});

test('service links: a service key is refused while validate_service_links is off (spec §14)', async () => {
  const { res, json } = await callV2(op, { path: '/v2/identity/map', payload: { email: ['a@b.com'] }, client: SERVICE_CLIENT });
  assert.equal(res.statusCode, 401);
  assert.deepEqual(json, { status: 'unauthorized', message: 'Invalid link_id' });
});

test('service links: with validation on, a link without the MAPPER role is refused, no link_id is allowed', async () => {
  const linked = await fixtureOperator({ validate_service_links: true });
  try {
    const refused = await callV2(linked, { path: '/v2/identity/map', payload: { email: ['a@b.com'], link_id: 'testId2' }, client: SERVICE_CLIENT });
    assert.equal(refused.res.statusCode, 401);
    assert.deepEqual(refused.json, { status: 'unauthorized', message: 'Invalid link_id' });
    const unknown = await callV2(linked, { path: '/v2/identity/map', payload: { email: ['a@b.com'], link_id: 'nope' }, client: SERVICE_CLIENT });
    assert.equal(unknown.res.statusCode, 401);
    const plain = await callV2(linked, { path: '/v2/identity/map', payload: { email: ['a@b.com'] }, client: SERVICE_CLIENT });
    assert.equal(plain.res.statusCode, 200);
    assert.equal(plain.json.body.mapped.length, 1);
    // Keys without a service id ignore link_id.
    const normal = await callV2(linked, { path: '/v2/identity/map', payload: { email: ['a@b.com'], link_id: 'whatever' } });
    assert.equal(normal.res.statusCode, 200);
  } finally {
    await linked.close();
  }
});

test('buckets: since 90 days ago lists buckets with ms-formatted times; since tomorrow lists none', async () => {
  op.clock.set(FIXTURE_NOW);
  const since = new Date(FIXTURE_NOW - 90 * 86_400_000).toISOString().slice(0, 19);
  const { res, json } = await callV2(op, { path: '/v2/identity/buckets', payload: { since_timestamp: since } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(
    json.body,
    (lm.salt_entries as any[]).map((e) => ({ bucket_id: e.bucket_id, last_updated: new Date(e.last_updated_ms).toISOString().slice(0, 23) })),
  );
  assert.match(json.body[0].last_updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
  const late = await callV2(op, { path: '/v2/identity/buckets', payload: { since_timestamp: '2100-01-01T00:00:00' } });
  assert.deepEqual(late.json.body, []);
});

test('buckets: since is inclusive and accepts the Python isoformat fraction', async () => {
  const line1 = (lm.salt_entries as any[])[1];
  const exact = new Date(line1.last_updated_ms).toISOString().slice(0, 23);
  const { json } = await callV2(op, { path: '/v2/identity/buckets', payload: { since_timestamp: `${exact}000` } });
  assert.ok(json.body.some((b: any) => b.bucket_id === line1.bucket_id));
  const after1 = new Date(line1.last_updated_ms + 1).toISOString().slice(0, 23);
  const later = await callV2(op, { path: '/v2/identity/buckets', payload: { since_timestamp: after1 } });
  assert.ok(!later.json.body.some((b: any) => b.bucket_id === line1.bucket_id));
});

const bucketErrors: [unknown, string][] = [
  [{}, 'missing parameter since_timestamp'],
  [null, 'missing parameter since_timestamp'],
  [{ since_timestamp: '2024-02-30T00:00:00' }, 'invalid date, must conform to ISO 8601'],
  [{ since_timestamp: '2024-01-01T00:00:00Z' }, 'invalid date, must conform to ISO 8601'],
  [{ since_timestamp: '2024-01-01' }, 'invalid date, must conform to ISO 8601'],
  [{ since_timestamp: 1700000000 }, 'invalid date, must conform to ISO 8601'],
  [{ since_timestamp: '2024-13-01T00:00:00' }, 'invalid date, must conform to ISO 8601'],
];
for (const [payload, message] of bucketErrors) {
  test(`buckets error: ${JSON.stringify(payload)}`, async () => {
    const { res, json } = await callV2(op, { path: '/v2/identity/buckets', payload: payload as any });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(json, { status: 'client_error', message });
  });
}

test('malformed bodies are 4xx, never 5xx', async () => {
  const bodies: (string | Buffer)[] = ['', 'not base64!!', Buffer.from([1, 2, 3]).toString('base64'), '{"email":["a@b.com"]}', 'AQ'.repeat(40)];
  for (const path of ['/v2/identity/map', '/v3/identity/map', '/v2/identity/buckets']) {
    for (const payload of bodies) {
      for (const contentType of ['text/plain', 'application/octet-stream']) {
        const res = await op.send({ method: 'POST', url: path, headers: { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': contentType }, payload });
        assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${path} ${contentType} ${res.statusCode}`);
      }
    }
    const notJson = await callV2(op, { path, payload: 'this is not json' });
    assert.equal(notJson.res.statusCode, 400);
    const arrayJson = await callV2(op, { path, payload: '[1,2]' });
    assert.equal(arrayJson.res.statusCode, 400);
  }
});
