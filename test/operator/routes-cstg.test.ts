import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureOperator, FIXTURE_NOW } from './support/operator-fixture.ts';
import { encryptCstgRequest, decryptCstgResponse } from '../../src/protocol/cstg.ts';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { registrableDomain } from '../../src/operator/tokens/cstg-origin.ts';

const SERVER_PUBLIC_KEY = 'UID2-X-L-MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtXJdTSZAYHvoRDWiehMHoWF1BNPuqLs5w2ZHiAZ1IJc7O4/z0ojPTB0V+KYX/wxQK0hxx6kxCvHj335eI/ZQsQ==';
const EMAIL_HASH = 'lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=';

const op = await fixtureOperator();
test.after(() => op.close());

function request(plaintext: string, opts: { appName?: string; subscriptionId?: string } = {}) {
  return encryptCstgRequest({
    serverPublicKey: SERVER_PUBLIC_KEY,
    plaintext,
    timestampMs: FIXTURE_NOW,
    subscriptionId: opts.subscriptionId ?? '4WvryDGbR5',
    appName: opts.appName,
  });
}

async function send(body: unknown, origin: string | null = 'https://www.uidapi.com') {
  return op.send({
    method: 'POST',
    url: '/v2/token/client-generate',
    payload: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'text/plain;charset=UTF-8', ...(origin ? { origin } : {}) },
  });
}

test('CSTG success: token for the keypair site with privacy bits 3, encrypted with the shared secret', async () => {
  const { body, sharedSecret } = request(JSON.stringify({ email_hash: EMAIL_HASH }));
  const res = await send(body);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['access-control-allow-origin'], 'https://www.uidapi.com');
  const reply = JSON.parse(decryptCstgResponse(sharedSecret, res.body));
  assert.equal(reply.status, 'success');
  const token = decodeAdvertisingToken(reply.body.advertising_token, (id) => op.deps.stores.keysetKeys.current().byId.get(id));
  assert.equal(token.siteId, 123);
  assert.equal(token.privacyBits, 3);
  assert.equal(token.siteKeyId, 104);
  assert.equal(reply.body.refresh_token.length, 388);
});

test('CSTG: localhost origins and app names', async () => {
  const { body, sharedSecret } = request(JSON.stringify({ email_hash: EMAIL_HASH }));
  assert.equal((await send(body, 'http://localhost:3000')).statusCode, 200);
  assert.equal((await send(body, 'http://dev.localhost')).statusCode, 200);
  const app = request(JSON.stringify({ email_hash: EMAIL_HASH }), { appName: 'COM.123.game.app.ANDROID' });
  const res = await send(app.body, null);
  assert.equal(res.statusCode, 200);
  assert.equal(JSON.parse(decryptCstgResponse(app.sharedSecret, res.body)).status, 'success');
  assert.ok(sharedSecret.length === 32);
  assert.equal(registrableDomain('https://a.b.example.co.uk'), 'example.co.uk');
  assert.equal(registrableDomain('not a url'), undefined);
});

test('CSTG: opted-out identity answers {"status":"optout"} encrypted', async () => {
  const { createHash } = await import('node:crypto');
  const hash = createHash('sha256').update('optout@example.com').digest('base64');
  const { body, sharedSecret } = request(JSON.stringify({ email_hash: hash }));
  const res = await send(body);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(JSON.parse(decryptCstgResponse(sharedSecret, res.body)), { status: 'optout' });
});

test('CSTG errors: exact statuses and messages (spec §9)', async () => {
  const good = request(JSON.stringify({ email_hash: EMAIL_HASH })).body;
  const cases: [unknown, string | null, number, unknown][] = [
    ['', 'https://uidapi.com', 400, { status: 'client_error', message: 'json payload expected but not found' }],
    ['{not json', 'https://uidapi.com', 400, { status: 'client_error', message: 'json payload is not valid' }],
    ['[1,2]', 'https://uidapi.com', 400, { status: 'client_error', message: 'json payload is not valid' }],
    [{ ...good, subscription_id: 'nope' }, 'https://uidapi.com', 400, { status: 'client_error', message: 'bad subscription_id' }],
    [{ ...good, subscription_id: undefined }, 'https://uidapi.com', 400, { status: 'client_error', message: 'bad subscription_id' }],
    [good, 'https://evil.example', 403, { status: 'invalid_http_origin', message: 'unexpected http origin' }],
    [good, null, 403, { status: 'invalid_http_origin', message: 'unexpected http origin' }],
    [{ ...good, app_name: 'com.other.app' }, null, 403, { status: 'invalid_app_name', message: 'unexpected app name' }],
    [{ ...good, payload: undefined }, 'https://uidapi.com', 400, { status: 'client_error', message: 'required parameters: payload, iv, public_key' }],
    [{ ...good, public_key: 'AAAA' }, 'https://uidapi.com', 400, { status: 'client_error', message: 'bad public key' }],
    [{ ...good, iv: 'AAAA' }, 'https://uidapi.com', 400, { status: 'client_error', message: 'bad iv' }],
    [{ ...good, timestamp: FIXTURE_NOW + 1 }, 'https://uidapi.com', 400, { status: 'client_error', message: 'payload decryption failed' }],
    [request('not json').body, 'https://uidapi.com', 400, { status: 'client_error', message: 'encrypted payload contains invalid json' }],
    [request('{}').body, 'https://uidapi.com', 400, { status: 'client_error', message: 'please provide exactly one of: email_hash, phone_hash' }],
    [request(JSON.stringify({ email_hash: EMAIL_HASH, phone_hash: EMAIL_HASH })).body, 'https://uidapi.com', 400, { status: 'client_error', message: 'please provide exactly one of: email_hash, phone_hash' }],
    [request(JSON.stringify({ email_hash: 'bad' })).body, 'https://uidapi.com', 400, { status: 'client_error', message: 'Invalid Identifier' }],
  ];
  for (const [body, origin, code, expected] of cases) {
    const res = await send(body, origin);
    assert.equal(res.statusCode, code, JSON.stringify(expected));
    assert.deepEqual(res.json(), expected);
  }
});

test('CSTG: disabled keypair is 401 Unauthorized; phone without phone support', async () => {
  const pair = op.deps.stores.cstgKeypairs.current().bySubscriptionId.get('4WvryDGbR5')!;
  const before = op.deps.stores.cstgKeypairs.current();
  op.deps.stores.cstgKeypairs.swap({ ...before, bySubscriptionId: new Map([[pair.subscriptionId, { ...pair, disabled: true }]]) });
  try {
    const res = await send(request(JSON.stringify({ email_hash: EMAIL_HASH })).body);
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { status: 'unauthorized', message: 'Unauthorized' });
  } finally {
    op.deps.stores.cstgKeypairs.swap(before);
  }
  const noPhone = await fixtureOperator({ enable_phone_support: false });
  try {
    const res = await noPhone.send({
      method: 'POST',
      url: '/v2/token/client-generate',
      payload: JSON.stringify(request(JSON.stringify({ phone_hash: EMAIL_HASH })).body),
      headers: { origin: 'https://uidapi.com' },
    });
    assert.deepEqual(res.json(), { status: 'client_error', message: 'phone support not enabled' });
  } finally {
    await noPhone.close();
  }
});

test('CSTG route exists only when client_side_token_generate=true', async () => {
  const off = await fixtureOperator({ client_side_token_generate: false });
  try {
    const res = await off.send({ method: 'POST', url: '/v2/token/client-generate', payload: '{}' });
    assert.equal(res.statusCode, 404);
  } finally {
    await off.close();
  }
});
