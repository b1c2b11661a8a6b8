import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureOperator, callV2, CLIENTS } from './support/operator-fixture.ts';

const op = await fixtureOperator();
test.after(() => op.app.close());

test('healthcheck: 503 with component lines until listening, then 200 OK', async () => {
  let res = await op.app.inject({ method: 'GET', url: '/ops/healthcheck' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.body, 'http-server: not listening');
  op.deps.health.set('http-server', true);
  res = await op.app.inject({ method: 'GET', url: '/ops/healthcheck' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.body, 'OK');
  op.deps.health.set('salts-rotator', false, 'not loaded');
  op.deps.health.set('sites-rotator', false, 'stale');
  res = await op.app.inject({ method: 'GET', url: '/ops/healthcheck' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.body, 'salts-rotator: not loaded\nsites-rotator: stale');
  op.deps.health.set('salts-rotator', true);
  op.deps.health.set('sites-rotator', true);
});

test('unknown routes and removed v0/v1 routes answer 404', async () => {
  for (const url of ['/nope', '/v1/token/generate', '/token/generate', '/v2/token']) {
    const res = await op.app.inject({ method: 'POST', url, payload: 'x' });
    assert.equal(res.statusCode, 404, url);
  }
});

test('bodies over 1 MiB answer 413 on every route', async () => {
  const big = Buffer.alloc((1 << 20) + 1, 0x41);
  for (const url of ['/v2/token/generate', '/v2/token/refresh', '/v2/identity/map']) {
    const res = await op.app.inject({ method: 'POST', url, payload: big, headers: { 'content-type': 'text/plain', authorization: `Bearer ${CLIENTS.special.key}` } });
    assert.equal(res.statusCode, 413, url);
    assert.ok(!res.body.includes('at '), 'no stack trace');
  }
});

test('CORS: origin reflected on every route, preflight answered with the allow-lists', async () => {
  const res = await op.app.inject({ method: 'GET', url: '/ops/healthcheck', headers: { origin: 'https://pub.example' } });
  assert.equal(res.headers['access-control-allow-origin'], 'https://pub.example');
  const pre = await op.app.inject({
    method: 'OPTIONS',
    url: '/v2/token/refresh',
    headers: { origin: 'https://pub.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(pre.statusCode, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://pub.example');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST,OPTIONS');
  assert.match(String(pre.headers['access-control-allow-headers']), /X-UID2-Client-Version/);
  assert.doesNotMatch(String(pre.headers['access-control-allow-headers']), /Authorization/);
  const validate = await op.app.inject({
    method: 'OPTIONS',
    url: '/v2/token/validate',
    headers: { origin: 'https://pub.example', 'access-control-request-method': 'POST' },
  });
  assert.match(String(validate.headers['access-control-allow-headers']), /Authorization/);
  const err = await op.app.inject({ method: 'POST', url: '/v2/token/generate', headers: { origin: 'https://a.b' }, payload: 'x' });
  assert.equal(err.statusCode, 401);
  assert.equal(err.headers['access-control-allow-origin'], 'https://a.b', 'errors carry CORS headers too');
});

test('bad or missing API key: 401 {"status":"unauthorized"}', async () => {
  for (const authorization of [undefined, 'Bearer nope', 'Basic abc', `Bearer ${CLIENTS.special.key}x`]) {
    const res = await op.app.inject({ method: 'POST', url: '/v2/token/generate', payload: 'abc', headers: authorization ? { authorization } : {} });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), { status: 'unauthorized' });
    assert.match(String(res.headers['content-type']), /^application\/json/);
  }
  // DSP key lacks GENERATOR
  const { res } = await callV2(op, { path: '/v2/token/generate', client: CLIENTS.dsp, payload: { email: 'a@b.c' } });
  assert.equal(res.statusCode, 401);
});

test('v2 envelope errors: exact messages, 400, plain JSON', async () => {
  const send = (payload: string | Buffer, contentType = 'text/plain') =>
    op.app.inject({ method: 'POST', url: '/v2/token/generate', payload, headers: { 'content-type': contentType, authorization: `Bearer ${CLIENTS.special.key}` } });
  let res = await send('');
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), { status: 'client_error', message: 'Invalid body: Body is missing.' });
  res = await send('not base64!!');
  assert.equal(res.json().message, 'Invalid body: Body is not valid base64. See https://unifiedid.com/docs/getting-started/gs-encryption-decryption for details on the request envelope format.');
  res = await send('AAAA');
  assert.match(res.json().message, /^Invalid body: Body too short\. Check encryption method\./);
  res = await send('{"email":"a@b.c"}', 'application/json');
  assert.match(res.json().message, /^Invalid body: The request body is unencrypted JSON/);
  res = await send(Buffer.alloc(60, 2).toString('base64'));
  assert.match(res.json().message, /^Invalid body: Invalid request envelope format version: received 2, must be 1\./);
  // wrong secret
  const { res: wrong } = await callV2(op, { path: '/v2/token/generate', client: { key: CLIENTS.special.key, secret: CLIENTS.dsp.secret }, payload: { email: 'a@b.c' } });
  assert.equal(wrong.statusCode, 400);
  assert.match(wrong.json().message, /^Invalid body: Check encryption key \(ClientSecret\)\./);
  // stale timestamp
  const real = op.clock.now();
  const { encodeRequestEnvelope } = await import('../../src/protocol/envelope-v2.ts');
  const stale = encodeRequestEnvelope(Buffer.from(CLIENTS.special.secret, 'base64'), { nowMs: real - 120_000, payload: '{}' });
  res = await send(stale.toString('base64'));
  assert.deepEqual(res.json(), { status: 'client_error', message: 'Invalid timestamp: Request too old or client time drift.' });
  const notJson = encodeRequestEnvelope(Buffer.from(CLIENTS.special.secret, 'base64'), { nowMs: real, payload: 'not json' });
  res = await send(notJson.toString('base64'));
  assert.deepEqual(res.json(), { status: 'client_error', message: 'Invalid payload in body: Data is not valid json string.' });
});
