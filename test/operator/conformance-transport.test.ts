/**
 * Spec-conformance audit (issue 3): transport, authentication and the v2 envelope
 * (operator-spec.md §1, §2.1, §3, §13.1, §14; client-expectations.md; vectors README "Differences").
 * Each test names the spec statement it pins down. Every request goes over a real socket to the
 * operator's production server (operator-fixture.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { fixturesDir, localConfigPath } from '../support/shared.ts';
import { createOperator } from '../../src/operator/operator-service.ts';
import { fixtureOperator, callV2, CLIENTS, type TestOperator } from './support/operator-fixture.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { buildClientSnapshot } from '../../src/operator/stores/client-store.ts';

const op = await fixtureOperator();
test.after(() => op.close());

/** The fixture's other clients (clients.json), by the roles they hold. */
const ROLE_CLIENTS = {
  legacy: { key: 'LOCALbGlvbnVuZGVybGluZXdpbmRzY2FyZWRzb2Z0ZGVzZXI=', secret: 'c3RlZXBzcGVuZHNsb3BlZnJlcXVlbnRseWRvd2lkZWM=' },
  generator: { key: 'UID2-C-L-124-H8VwqX.l2G4TCuUWYAqdqkeG/UqtFoPEoXirKn4kHWxc=', secret: 'NcMgi6Y8C80SlxvV7pYlfcvEIo+2b0508tYQ3pKK8HM=' },
  mapperSharer: { key: 'UID2-C-L-125-E5w9L8.T5og45yFqQeoj4ubh9IVqXcaSVwk7A5XyG958=', secret: '3YAgjckHGQyBgSFj64ZsLf8WlUnvrQhLKuG7rljp6W4=' },
  mapper: { key: 'UID2-C-L-126-GMP9tD.jn2o3vmXzn7vmKRlTT6BEUrPUaPJuQmDBdq38=', secret: '1ydXM0rEj+ROUazVpZjNZOGu2T5+f/BIiBfnK8xGh/A=' },
  optout: { key: 'UID2-C-L-127-aHVydH.JlZnVzZWRmYXN0ZW5lbXliYWdpZGVudGl0eWU=', secret: 'c3VpdG9wcG9zaXRlaW1hZ2Vsb29rc2ltcGxlc3RmaXI=' },
  idReader: CLIENTS.dsp,
} as const;
type RoleClient = keyof typeof ROLE_CLIENTS;

const secretOf = (c: { secret: string }) => Buffer.from(c.secret, 'base64');

function send(target: TestOperator, url: string, payload: string | Buffer, headers: Record<string, string> = {}) {
  return target.send({ method: 'POST', url, payload, headers: { 'content-type': 'text/plain', ...headers } });
}

// §2.1: failure → 401, application/json, body exactly {"status":"unauthorized"} (no message).
test('§2.1 401 body is exactly {"status":"unauthorized"} with application/json', async () => {
  for (const authorization of [undefined, 'Bearer not-a-key', 'Basic abc', `Bearer ${CLIENTS.special.key}x`]) {
    const res = await send(op, '/v2/identity/map', 'abc', authorization === undefined ? {} : { authorization });
    assert.equal(res.statusCode, 401, String(authorization));
    assert.equal(res.body, '{"status":"unauthorized"}');
    assert.match(String(res.headers['content-type']), /^application\/json/);
  }
});

// §2.1: "prefix match is case-insensitive (`bearer `), value trimmed".
test('§2.1 Bearer prefix is case-insensitive and the key is trimmed', async () => {
  for (const authorization of [`bearer ${CLIENTS.special.key}`, `BEARER ${CLIENTS.special.key}`, `BeArEr   ${CLIENTS.special.key}   `]) {
    const { res, json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' }, headers: { authorization } });
    assert.equal(res.statusCode, 200, authorization);
    assert.equal(json.status, 'success');
  }
  for (const authorization of [`Bearer:${CLIENTS.special.key}`, `Token ${CLIENTS.special.key}`, 'Bearer ', 'Bearer']) {
    const res = await send(op, '/v2/token/generate', 'abc', { authorization });
    assert.equal(res.statusCode, 401, authorization);
  }
});

// §2.1: legacy keys without the UID2-C prefix exist and authenticate against every salt.
test('§2.1 a legacy (unformatted) key authenticates', async () => {
  const { res, json } = await callV2(op, { path: '/v2/token/generate', client: ROLE_CLIENTS.legacy, payload: { email: 'user@example.com' } });
  assert.equal(res.statusCode, 200);
  assert.equal(json.status, 'success');
});

// §2.1: the client must exist and be enabled (`disabled=false`).
test('§2.1 a disabled client gets 401 on role-checked routes and counts as unauthenticated on refresh', async () => {
  const d = await fixtureOperator();
  try {
    const records = JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core/test/clients/clients.json'), 'utf8')) as Record<string, unknown>[];
    const { json: generated } = await callV2(d, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
    d.deps.stores.clients.swap(buildClientSnapshot(records.map((r) => (r.site_id === 999 ? { ...r, disabled: true } : r)), 2));
    const { res } = await callV2(d, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.body, '{"status":"unauthorized"}');
    // Refresh with a bad token: a disabled key is not an authenticated caller (generic error).
    const bad = await send(d, '/v2/token/refresh', 'A'.repeat(20), { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(bad.json(), { status: 'error', message: 'Error refreshing token' });
    assert.equal(generated.status, 'success');
  } finally {
    await d.close();
  }
});

// §4 route table: roles (any of) per route; §2.1 unknown role strings grant nothing.
test('§4 route table: each route admits exactly its roles', async () => {
  const table: [string, RoleClient[]][] = [
    ['/v2/token/generate', ['generator']],
    ['/v2/token/validate', ['generator']],
    ['/v2/token/logout', ['optout']],
    ['/v2/identity/map', ['mapper', 'mapperSharer']],
    ['/v3/identity/map', ['mapper', 'mapperSharer']],
    ['/v2/identity/buckets', ['mapper', 'mapperSharer']],
    ['/v2/key/latest', ['idReader']],
    ['/v2/key/sharing', ['idReader', 'mapperSharer']],
    ['/v2/key/bidstream', ['idReader']],
    ['/v2/optout/status', ['mapper', 'mapperSharer', 'idReader']],
  ];
  const all = Object.keys(ROLE_CLIENTS).filter((k) => k !== 'legacy') as RoleClient[];
  for (const [path, allowed] of table) {
    for (const who of all) {
      const { res } = await callV2(op, { path, client: ROLE_CLIENTS[who], payload: {} });
      if (allowed.includes(who)) assert.notEqual(res.statusCode, 401, `${path} should admit ${who}`);
      else assert.equal(res.statusCode, 401, `${path} should refuse ${who}`);
    }
  }
});

// §4.3 refresh and §9 CSTG need no Authorization header.
test('§4 refresh and client-generate need no API key', async () => {
  const refresh = await send(op, '/v2/token/refresh', 'x');
  assert.notEqual(refresh.statusCode, 401);
  const cstg = await send(op, '/v2/token/client-generate', '{}');
  assert.notEqual(cstg.statusCode, 401);
});

// §3.1: every envelope failure is a 400 client_error with upstream's exact message, as plain JSON.
test('§3.1 envelope errors: exact messages, 400, plain JSON', async () => {
  const post = (payload: string | Buffer, contentType = 'text/plain') => send(op, '/v2/token/generate', payload, { 'content-type': contentType, authorization: `Bearer ${CLIENTS.special.key}` });
  let res = await post('');
  assert.equal(res.statusCode, 400);
  assert.deepEqual(res.json(), { status: 'client_error', message: 'Invalid body: Body is missing.' });
  res = await post('not base64!!');
  assert.equal(res.json().message, 'Invalid body: Body is not valid base64. See https://unifiedid.com/docs/getting-started/gs-encryption-decryption for details on the request envelope format.');
  res = await post('AAAA');
  assert.match(res.json().message, /^Invalid body: Body too short\. Check encryption method\./);
  res = await post('{"email":"a@b.c"}', 'application/json');
  assert.match(res.json().message, /^Invalid body: The request body is unencrypted JSON/);
  res = await post(Buffer.alloc(60, 2).toString('base64'));
  assert.match(res.json().message, /^Invalid body: Invalid request envelope format version: received 2, must be 1\./);
  const { res: wrong } = await callV2(op, { path: '/v2/token/generate', client: { key: CLIENTS.special.key, secret: CLIENTS.dsp.secret }, payload: { email: 'a@b.c' } });
  assert.equal(wrong.statusCode, 400);
  assert.match(wrong.json().message, /^Invalid body: Check encryption key \(ClientSecret\)\./);
  const notJson = encodeRequestEnvelope(secretOf(CLIENTS.special), { nowMs: op.clock.now(), payload: 'not json' });
  res = await post(notJson.toString('base64'));
  assert.deepEqual(res.json(), { status: 'client_error', message: 'Invalid payload in body: Data is not valid json string.' });
});

// §3.1: accepted iff |now − ts| < 120 s, both directions (vectors README §2: ±119.999 s).
test('§3.1 timestamp window: ±119 999 ms accepted, ±120 000 ms rejected', async () => {
  const secret = secretOf(CLIENTS.special);
  const now = op.clock.now();
  for (const [delta, ok] of [[119_999, true], [-119_999, true], [120_000, false], [-120_000, false]] as const) {
    const body = encodeRequestEnvelope(secret, { nowMs: now + delta, payload: '{"email":"user@example.com"}' });
    const res = await send(op, '/v2/token/generate', body.toString('base64'), { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.equal(res.statusCode, ok ? 200 : 400, `delta ${delta}`);
    if (!ok) assert.deepEqual(res.json(), { status: 'client_error', message: 'Invalid timestamp: Request too old or client time drift.' });
  }
});

// vectors README §1: request JSON may contain whitespace and a trailing newline.
test('§3.1 request JSON with whitespace and a trailing newline is accepted', async () => {
  const { res, json } = await callV2(op, { path: '/v2/token/generate', payload: '{"email": "user@example.com", "optout_check": 1}\n' });
  assert.equal(res.statusCode, 200);
  assert.equal(json.status, 'success');
});

// §3.2: response = base64(IV ‖ GCM(ts ‖ same nonce ‖ JSON) ‖ tag), text/plain; the nonce is echoed.
test('§3.2 the response echoes the request nonce and carries the server time', async () => {
  const secret = secretOf(CLIENTS.special);
  const nonce = Buffer.from('0102030405060708', 'hex');
  const body = encodeRequestEnvelope(secret, { nowMs: op.clock.now(), nonce, payload: '{"email":"user@example.com"}' });
  const res = await send(op, '/v2/token/generate', body.toString('base64'), { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  const decoded = decodeResponseEnvelope(secret, res.body);
  assert.equal(Buffer.from(decoded.nonce).toString('hex'), '0102030405060708');
  assert.equal(decoded.timestampMs, op.clock.now());
  const parsed = JSON.parse(decoded.json);
  assert.equal(parsed.status, 'success');
  assert.equal(typeof parsed.body, 'object');
});

// §3.1: octet-stream body that fails as raw bytes is retried as base64 text, answered in base64 text.
test('§3.1 an octet-stream body holding base64 text is answered in base64 text/plain', async () => {
  const secret = secretOf(CLIENTS.special);
  const body = encodeRequestEnvelope(secret, { nowMs: op.clock.now(), payload: '{"email":"user@example.com"}' });
  const res = await send(op, '/v2/token/generate', body.toString('base64'), { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'application/octet-stream' });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(JSON.parse(decodeResponseEnvelope(secret, res.body).json).status, 'success');
});

// client-expectations: octet-stream in → raw bytes out with exactly `application/octet-stream` (v3 map, key routes).
test('client-expectations: binary /v3/identity/map reply is raw bytes with exactly application/octet-stream', async () => {
  const { res, json } = await callV2(op, { path: '/v3/identity/map', payload: { email: ['user@example.com'] }, binary: true });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.equal(json.status, 'success');
});

// §3.2: non-200 replies are unencrypted JSON even for binary requests.
test('§3.2 errors to binary requests are plain application/json', async () => {
  const { res } = await callV2(op, { path: '/v2/token/generate', payload: {}, binary: true });
  assert.equal(res.statusCode, 400);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.equal(res.json().status, 'client_error');
});

// §3.1 "Docs URL in hints is https://euid.eu/docs/... for EUID".
test('§3.1 EUID operators point envelope errors at euid.eu', async () => {
  const euid = await fixtureOperator({ identity_scope: 'euid' });
  try {
    const res = await send(euid, '/v2/token/generate', 'not base64!!', { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.equal(res.statusCode, 400);
    assert.equal(
      res.json().message,
      'Invalid body: Body is not valid base64. See https://euid.eu/docs/getting-started/gs-encryption-decryption for details on the request envelope format.',
    );
  } finally {
    await euid.close();
  }
});

// §3.2: enable_v2_encryption=false → plain JSON both ways, for every v2 route, including errors.
test('§3.2 enable_v2_encryption=false: token, map and key routes take and give plain JSON', async () => {
  const plain = await fixtureOperator({ enable_v2_encryption: false });
  try {
    const map = await send(plain, '/v2/identity/map', '{"email":["user@example.com"]}', { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.equal(map.statusCode, 200);
    assert.match(String(map.headers['content-type']), /^application\/json/);
    assert.equal(map.json().status, 'success');
    assert.equal(map.json().body.mapped.length, 1);
    const keys = await send(plain, '/v2/key/sharing', '', { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.equal(keys.statusCode, 200);
    assert.equal(keys.json().body.caller_site_id, 999);
    const err = await send(plain, '/v2/identity/map', '{}', { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.equal(err.statusCode, 400);
    assert.equal(err.json().status, 'client_error');
    const gen = await send(plain, '/v2/token/generate', '{"email":"user@example.com"}', { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(gen.statusCode, 200);
    assert.match(String(gen.headers['content-type']), /^application\/json/);
    assert.equal(gen.json().status, 'success');
    const bad = await send(plain, '/v2/token/generate', 'x=1', { authorization: `Bearer ${CLIENTS.special.key}` });
    assert.deepEqual(bad.json(), { status: 'client_error', message: 'Invalid payload in body: Data is not valid json string.' });
  } finally {
    await plain.close();
  }
});

// §1: 1 MiB body limit → 413; exactly 1 MiB is still read.
test('§1 a body of exactly 1 MiB is read; one byte more is 413 on every route', async () => {
  const headers = { authorization: `Bearer ${CLIENTS.special.key}` };
  const exact = await send(op, '/v2/identity/map', Buffer.alloc(1 << 20, 0x41), headers);
  assert.equal(exact.statusCode, 400, 'read and rejected by the envelope, not by size');
  for (const url of ['/v2/token/generate', '/v2/token/refresh', '/v2/identity/map', '/v2/token/client-generate']) {
    const over = await send(op, url, Buffer.alloc((1 << 20) + 1, 0x41), headers);
    assert.equal(over.statusCode, 413, url);
    assert.equal(over.body, 'Request Entity Too Large');
  }
});

// §1: unknown route → 404; v0/v1 endpoints removed; healthcheck is GET only.
test('§1 unknown routes are 404, including GET on POST-only routes', async () => {
  const routes = [['GET', '/v2/token/generate'], ['POST', '/v2/token/generate/x'], ['GET', '/v1/token/generate'], ['POST', '/v2/identity/mapx']] as const;
  const removed = ['/nope', '/v1/token/generate', '/token/generate', '/v2/token'].map((url) => ['POST', url] as const);
  for (const [method, url] of [...routes, ...removed]) {
    const res = await op.send({ method, url });
    assert.equal(res.statusCode, 404, `${method} ${url}`);
  }
});

// §13.1: 503 body = "<component>: <reason>" lines joined by \n; 200 body "OK".
test('§13.1 healthcheck: one line per unhealthy component, OK when all are healthy', async () => {
  const unserved = await createOperator({ dataDir: fixturesDir, files: [localConfigPath], logger: pino({ level: 'silent' }) });
  const before = await unserved.pipeline.handle({ method: 'GET', path: '/ops/healthcheck', query: '', headers: {}, remoteAddress: undefined, body: Buffer.alloc(0) });
  assert.equal(before.answer.statusCode, 503);
  assert.equal(before.answer.body, 'http-server: not listening', 'unhealthy until the server listens');
  const h = await fixtureOperator();
  try {
    h.deps.health.set('optout-rotator', false, 'never loaded');
    let res = await h.send({ method: 'GET', url: '/ops/healthcheck' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.body, 'optout-rotator: never loaded');
    h.deps.health.set('optout-rotator', true);
    res = await h.send({ method: 'GET', url: '/ops/healthcheck' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'OK');
  } finally {
    await h.close();
  }
});

// §14 CORS: any origin reflected, on success and error replies; nothing without an Origin header.
test('§14 CORS: origin reflected on encrypted replies and on 404s; absent without Origin', async () => {
  const { res } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' }, headers: { origin: 'https://www.example.org' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['access-control-allow-origin'], 'https://www.example.org');
  const none = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  assert.equal(none.res.headers['access-control-allow-origin'], undefined);
  const missing = await op.send({ method: 'POST', url: '/nowhere', headers: { origin: 'https://a.example' } });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers['access-control-allow-origin'], 'https://a.example');
  const health = await op.send({ method: 'GET', url: '/ops/healthcheck', headers: { origin: 'https://pub.example' } });
  assert.equal(health.headers['access-control-allow-origin'], 'https://pub.example');
  const refused = await op.send({ method: 'POST', url: '/v2/token/generate', headers: { origin: 'https://a.b' }, payload: 'x' });
  assert.equal(refused.statusCode, 401);
  assert.equal(refused.headers['access-control-allow-origin'], 'https://a.b', 'errors carry CORS headers too');
});

// §14 CORS preflight: methods GET/POST/OPTIONS; allowed headers; Authorization only on validate.
test('§14 CORS preflight: exact header allow-list, Authorization only on /v2/token/validate', async () => {
  const base = ['X-UID2-Client-Version', 'Access-Control-Request-Method', 'Access-Control-Allow-Credentials', 'Access-Control-Allow-Origin', 'Access-Control-Allow-Headers', 'Content-Type'];
  const preflight = (url: string) =>
    op.send({ method: 'OPTIONS', url, headers: { origin: 'https://pub.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
  for (const url of ['/v2/token/client-generate', '/v2/token/refresh', '/v2/token/generate', '/v3/identity/map', '/v2/token/validate?x=1']) {
    const res = await preflight(url);
    assert.equal(res.statusCode, 204, url);
    assert.equal(res.headers['access-control-allow-origin'], 'https://pub.example');
    const methods = String(res.headers['access-control-allow-methods']).split(',').map((s) => s.trim()).sort();
    assert.deepEqual(methods, ['GET', 'OPTIONS', 'POST']);
    const headers = String(res.headers['access-control-allow-headers']).split(',').map((s) => s.trim());
    const expected = url.startsWith('/v2/token/validate') ? [...base, 'Authorization'] : base;
    assert.deepEqual([...headers].sort(), [...expected].sort(), url);
  }
});

// §1 "Router honours X-Forwarded-*": the client address logged for an error is the forwarded one.
test('§1 X-Forwarded-For names the client address in the error log line', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _e, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  const f = await fixtureOperator({}, { logger: pino({ level: 'info' }, sink) });
  try {
    await f.send({ method: 'POST', url: '/v2/token/generate', payload: 'x', headers: { 'x-forwarded-for': '203.0.113.7', authorization: 'Bearer nope' } });
    const entry = lines.map((l) => JSON.parse(l)).find((e) => e.msg === 'Response to http request');
    assert.ok(entry, 'an error line is logged');
    assert.equal(entry.clientAddress, '203.0.113.7');
  } finally {
    await f.close();
  }
});
