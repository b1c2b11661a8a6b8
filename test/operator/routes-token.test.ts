import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadVectors } from '../support/shared.ts';
import { fixtureOperator, callV2, CLIENTS, FIXTURE_NOW } from './support/operator-fixture.ts';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { decodeRefreshEnvelope, decryptRefreshResponse } from '../../src/protocol/refresh-envelope.ts';
import { decodeRefreshToken } from '../../src/protocol/refresh-token.ts';

const op = await fixtureOperator();
test.after(() => op.close());
const keyLookup = (id: number) => op.deps.stores.keysetKeys.current().byId.get(id);

async function refresh(body: string | Buffer, headers: Record<string, string> = {}) {
  return op.send({ method: 'POST', url: '/v2/token/refresh', payload: body, headers: { 'content-type': 'text/plain', ...headers } });
}

test('generate: success body with v4 token, 388-char refresh token, lifetimes from runtime config', async () => {
  const { res, json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com', optout_check: 1 } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(json.status, 'success');
  const b = json.body;
  assert.equal(b.refresh_token.length, 388);
  assert.equal(b.identity_expires, FIXTURE_NOW + 3600_000);
  assert.equal(b.refresh_expires, FIXTURE_NOW + 86400_000);
  assert.equal(b.refresh_from, FIXTURE_NOW + 900_000);
  const token = decodeAdvertisingToken(b.advertising_token, keyLookup);
  assert.equal(token.version, 4);
  assert.equal(token.siteId, 999);
  assert.equal(token.privacyBits, 1);
  assert.equal(token.establishedMs, FIXTURE_NOW);
  assert.equal(token.masterKeyId, 101);
  assert.equal(token.siteKeyId, 103, 'site 999 has no keyset: fallback to site 2');
  const env = decodeRefreshEnvelope(b.refresh_token, keyLookup);
  assert.equal(env.keyId, 102);
  assert.equal(env.responseKey.toString('base64'), b.refresh_response_key);
});

test('generate: binary request gets a binary reply with exactly application/octet-stream', async () => {
  const { res, json } = await callV2(op, { path: '/v2/token/generate', payload: { phone: '+12345678901' }, binary: true });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.equal(json.status, 'success');
});

test('generate: opted-out test identities answer {"status":"optout"}', async () => {
  for (const payload of [{ email: 'optout@example.com' }, { phone: '+00000000000' }]) {
    const { res, json } = await callV2(op, { path: '/v2/token/generate', payload });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(json, { status: 'optout' });
  }
});

test('generate: identity input errors (spec §4)', async () => {
  const cases: [unknown, string][] = [
    [{}, 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified'],
    [null, 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified'],
    [{ email: 'a@b.c', phone: '+12345678901' }, 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified'],
    [{ email: 'not-an-email' }, 'Invalid Identifier'],
    [{ email_hash: 'this is not a hashed email' }, 'Invalid Identifier'],
    [{ phone: '12345' }, 'Invalid Identifier'],
    [{ email: 42 }, 'Invalid Identifier'],
    [{ email: ['a@b.c'] }, 'Invalid Identifier'],
  ];
  for (const [payload, message] of cases) {
    const { res } = await callV2(op, { path: '/v2/token/generate', payload: payload as never });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.deepEqual(res.json(), { status: 'client_error', message });
  }
});

test('refresh: a token from generate refreshes, and refreshes again with the new one', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  let identity = json.body;
  for (let round = 0; round < 2; round++) {
    op.clock.set(FIXTURE_NOW + (round + 1) * 60_000);
    const res = await refresh(identity.refresh_token);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain');
    const reply = JSON.parse(decryptRefreshResponse(Buffer.from(identity.refresh_response_key, 'base64'), res.body));
    assert.equal(reply.status, 'success');
    const next = reply.body;
    assert.notEqual(next.refresh_token, identity.refresh_token);
    const token = decodeAdvertisingToken(next.advertising_token, keyLookup);
    assert.equal(token.establishedMs, FIXTURE_NOW, 'established kept across refreshes');
    assert.equal(token.siteId, 999);
    identity = next;
  }
  op.clock.set(FIXTURE_NOW);
});

test('refresh: binary request body gets a binary reply', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  const res = await refresh(Buffer.from(json.body.refresh_token), { 'content-type': 'application/octet-stream' });
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  const reply = JSON.parse(decryptRefreshResponse(Buffer.from(json.body.refresh_response_key, 'base64'), res.rawPayload));
  assert.equal(reply.status, 'success');
});

test('refresh: legacy bare token gets plain JSON', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  const inner = decodeRefreshEnvelope(json.body.refresh_token, keyLookup).refreshToken;
  const res = await refresh(inner);
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.equal(res.json().status, 'success');
  assert.equal(decodeRefreshToken(inner, keyLookup).version, 3);
});

test('refresh: refresh-optout@example.com generates but refreshes to optout', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'refresh-optout@example.com' } });
  assert.equal(json.status, 'success');
  const res = await refresh(json.body.refresh_token);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(JSON.parse(decryptRefreshResponse(Buffer.from(json.body.refresh_response_key, 'base64'), res.body)), { status: 'optout' });
});

test('refresh: the docs sample token decrypts with fixture keys and is answered as expired', async () => {
  const sample = loadVectors().refresh_tokens.find((v: { id: string }) => v.id === 'docs-sample.refresh_token');
  const env = decodeRefreshEnvelope(sample.refresh_token, keyLookup);
  assert.equal(env.refreshToken, sample.expected.inner_refresh_token);
  const anonymous = await refresh(sample.refresh_token);
  assert.equal(anonymous.statusCode, 400);
  assert.deepEqual(anonymous.json(), { status: 'error', message: 'Error refreshing token' });
  const authed = await refresh(sample.refresh_token, { authorization: `Bearer ${CLIENTS.special.key}` });
  assert.equal(authed.statusCode, 400);
  assert.deepEqual(authed.json(), { status: 'expired_token', message: 'Expired Token presented' });
});

test('refresh: envelope errors and invalid tokens (spec §4.3)', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  const good: string = json.body.refresh_token;
  const bytes = Buffer.from(good, 'base64');
  const withKey = (id: number) => { const b = Buffer.from(bytes); b.writeInt32BE(id, 1); return b.toString('base64'); };
  const flipped = Buffer.from(bytes); flipped[100] ^= 1;
  const cases: [string, number, unknown][] = [
    ['!'.repeat(388), 400, { status: 'client_error', message: 'Invalid body: Body is not valid base64.' }],
    [withKey(424242), 400, { status: 'client_error', message: 'Invalid key: Generator of this token (Key ID: 424242) does not exist.' }],
    [flipped.toString('base64'), 400, { status: 'client_error', message: 'Invalid data: Check encryption method and encryption key.' }],
    ['', 400, { status: 'error', message: 'Error refreshing token' }],
    ['garbage', 400, { status: 'error', message: 'Error refreshing token' }],
  ];
  for (const [body, code, expected] of cases) {
    const res = await refresh(body);
    assert.equal(res.statusCode, code, body.slice(0, 20));
    assert.deepEqual(res.json(), expected);
  }
  const authed = await refresh('garbage', { authorization: `Bearer ${CLIENTS.special.key}` });
  assert.deepEqual(authed.json(), { status: 'invalid_token', message: 'Invalid Token presented' });
  const expiredLater = await refresh(good, { authorization: `Bearer ${CLIENTS.dsp.key}` });
  assert.equal(expiredLater.statusCode, 200, 'any valid key may refresh');
});

test('refresh: an expired refresh token is expired_token for authenticated callers', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  op.clock.set(FIXTURE_NOW + 86400_000 + 1);
  try {
    const res = await refresh(json.body.refresh_token, { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.deepEqual(res.json(), { status: 'expired_token', message: 'Expired Token presented' });
  } finally {
    op.clock.set(FIXTURE_NOW);
  }
});

test('validate: true for the same identity, false for another, errors for bad tokens and foreign sites', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'validate@example.com' } });
  const token = json.body.advertising_token;
  let r = await callV2(op, { path: '/v2/token/validate', payload: { token, email: 'validate@example.com' } });
  assert.deepEqual(r.json, { status: 'success', body: true });
  r = await callV2(op, { path: '/v2/token/validate', payload: { token, email: 'someone@example.com' } });
  assert.deepEqual(r.json, { status: 'success', body: false });
  r = await callV2(op, { path: '/v2/token/validate', payload: { token: 'nonsense', email: 'validate@example.com' } });
  assert.deepEqual(r.res.json(), { status: 'client_error', message: 'Invalid token' });
  r = await callV2(op, { path: '/v2/token/validate', payload: { email: 'validate@example.com' } });
  assert.deepEqual(r.res.json(), { status: 'client_error', message: 'Invalid token' });
  r = await callV2(op, { path: '/v2/token/validate', payload: { token } });
  assert.equal(r.res.json().message, 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified');
  // the docs sample token was issued with site 123's key: site 999 may not validate it
  const sample = loadVectors().advertising_tokens.find((v: { id: string }) => v.id.startsWith('docs'));
  r = await callV2(op, { path: '/v2/token/validate', payload: { token: sample.token ?? sample.advertising_token, email: 'validate@example.com' } });
  assert.deepEqual(r.res.json(), { status: 'client_error', message: 'Unauthorised to validate token' });
});

test('logout: POSTs the opt-out to optout_api_uri with operator key and headers', async () => {
  const seen: { url: string; headers: Record<string, unknown>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(seen.length === 1 ? 200 : 503).end('1700000000');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const logoutOp = await fixtureOperator({ optout_api_uri: `http://127.0.0.1:${port}/optout/replicate`, core_api_token: 'UID2-O-L-1-operatorkey' });
  try {
    let r = await callV2(logoutOp, { path: '/v2/token/logout', payload: { email: 'user@example.com', clientIp: '10.0.0.1' }, headers: { 'UID-Trace-Id': 'trace-1' } });
    assert.equal(r.res.statusCode, 200);
    assert.deepEqual(r.json, { status: 'success', body: { optout: 'OK' } });
    const call = seen[0];
    const url = new URL(call.url, 'http://x');
    assert.equal(url.pathname, '/optout/replicate');
    assert.equal(Buffer.from(url.searchParams.get('identity_hash')!, 'base64').length, 32);
    assert.ok([32, 33].includes(Buffer.from(url.searchParams.get('advertising_id')!, 'base64').length));
    assert.equal(call.headers.authorization, 'Bearer UID2-O-L-1-operatorkey');
    assert.equal(call.headers['uid-trace-id'], 'trace-1');
    assert.match(String(call.headers['uid-instance-id']), /^local-operator-[0-9a-f]+$/);
    assert.deepEqual(JSON.parse(call.body), { email: 'user@example.com', client_ip: '10.0.0.1' }, 'raw identity fields forwarded as upstream');
    r = await callV2(logoutOp, { path: '/v2/token/logout', payload: { email: 'user@example.com' } });
    assert.equal(r.res.statusCode, 500, 'upstream failure answers 500');
    r = await callV2(logoutOp, { path: '/v2/token/logout', payload: { email: 'nope' } });
    assert.deepEqual(r.res.json(), { status: 'invalid_token', message: 'Invalid Token presented' });
  } finally {
    await logoutOp.close();
    await new Promise((r) => server.close(r));
  }
});

test('logout without optout_api_uri answers the catalogue 500 and counts it; DSP key without OPTOUT role is 401', async () => {
  let r = await callV2(op, { path: '/v2/token/logout', payload: { email: 'user@example.com' } });
  assert.equal(r.res.statusCode, 500);
  assert.match(String(r.res.headers['content-type']), /^application\/json/);
  assert.deepEqual(r.res.json(), { status: 'unknown', message: 'Unknown error while writing the opt-out' });
  assert.match(await op.deps.metrics.registry.metrics(), /uid2_token_logout_total\{site_id="\d+",status="optout_write_failed"[^}]*\} 1/);
  r = await callV2(op, { path: '/v2/token/logout', client: CLIENTS.dsp, payload: { email: 'user@example.com' } });
  assert.equal(r.res.statusCode, 401);
});

test('no active key: 500 {"status":"unknown","message":"No active encryption key available"}', async () => {
  op.clock.set(Date.UTC(2100, 0, 1));
  try {
    const { res } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { status: 'unknown', message: 'No active encryption key available' });
  } finally {
    op.clock.set(FIXTURE_NOW);
  }
});

test('token responses are counted by site and status in metrics', async () => {
  const text = await op.deps.metrics.registry.metrics();
  assert.match(
    text,
    /uid2_token_response_status_count_total\{site_id="999",site_name="[^"]*",token_endpoint="GenerateV2",token_response_status="Success",advertising_token_version="V4",cstg="false",platform_type="Other",application="uid2-operator"\} \d+/,
  );
  assert.match(text, /uid2_token_response_status_count_total\{[^}]*token_endpoint="GenerateV2",token_response_status="OptOut",advertising_token_version="null"/);
  assert.match(text, /uid2_http_requests_total\{method="POST",path="\/v2\/token\/generate",code="200"/);
});
