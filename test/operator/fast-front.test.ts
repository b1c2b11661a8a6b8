/**
 * The fast front (src/operator/http/fast-front.ts, issue 6) answers the hot routes on the
 * operator's own server; fastify answers them through `app.inject()`. Both must give the same
 * answer to the same request: status, content type, body (exact for errors, decrypted and
 * compared field by field for 200s), metrics and the shared replay guard.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { decryptRefreshResponse } from '../../src/protocol/refresh-envelope.ts';
import { CLIENTS, fixtureOperator, type TestOperator } from './support/operator-fixture.ts';

interface Reply {
  status: number;
  contentType: string;
  body: Buffer;
  headers: Record<string, unknown>;
}

interface Call {
  path: string;
  /** The body, or a function making a fresh one per transport (v2 envelopes are single-use). */
  body: () => string | Buffer;
  headers?: Record<string, string>;
}

let op: TestOperator;
let port: number;
/** URLs of the requests fastify itself routed (its hooks never see what the front answers). */
const seenByFastify: string[] = [];

before(async () => {
  op = await fixtureOperator();
  op.app.addHook('onRequest', (request, _reply, done) => {
    seenByFastify.push(request.url);
    done();
  });
  await op.app.listen({ port: 0, host: '127.0.0.1' });
  const address = op.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(() => op.app.close());

const secretOf = (c: { secret: string }) => Buffer.from(c.secret, 'base64');

function envelope(payload: unknown, client: { secret: string } = CLIENTS.special): string {
  const json = payload === null ? null : JSON.stringify(payload);
  return encodeRequestEnvelope(secretOf(client), { nowMs: op.clock.now(), payload: json }).toString('base64');
}

function authHeaders(client: { key: string } = CLIENTS.special): Record<string, string> {
  return { authorization: `Bearer ${client.key}`, 'content-type': 'text/plain' };
}

/** Over a real socket: the fast front answers (or passes on) the request. */
function overHttp(call: Call): Promise<Reply> {
  const body = call.body();
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: call.path, method: 'POST', headers: { ...call.headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Through fastify only (`inject` never reaches the server's request listener). */
async function throughFastify(call: Call): Promise<Reply> {
  const res = await op.app.inject({ method: 'POST', url: call.path, headers: call.headers, payload: call.body() });
  return { status: res.statusCode, contentType: String(res.headers['content-type']), body: res.rawPayload, headers: res.headers };
}

async function both(call: Call): Promise<[Reply, Reply]> {
  return [await overHttp(call), await throughFastify(call)];
}

/** Generate/refresh bodies: the same fields, the same times, tokens of the same site and raw UID. */
function assertSameIdentity(a: Record<string, unknown>, b: Record<string, unknown>): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of ['identity_expires', 'refresh_expires', 'refresh_from']) assert.equal(a[k], b[k], k);
  const keys = op.deps.stores.keysetKeys.current();
  const [ta, tb] = [a, b].map((x) => decodeAdvertisingToken(String(x.advertising_token), (id) => keys.byId.get(id)));
  assert.ok(ta.rawUid.equals(tb.rawUid));
  assert.equal(ta.siteId, tb.siteId);
  assert.equal(String(a.refresh_token).length, String(b.refresh_token).length);
}

test('generate: a success answer is the same sealed reply on both transports', async () => {
  const call = { path: '/v2/token/generate', body: () => envelope({ email: 'user@example.com' }), headers: authHeaders() };
  const [fast, framework] = await both(call);
  assert.equal(fast.status, 200);
  assert.equal(fast.contentType, framework.contentType);
  assert.equal(fast.contentType, 'text/plain');
  const [jf, jw] = [fast, framework].map((r) => JSON.parse(decodeResponseEnvelope(secretOf(CLIENTS.special), r.body.toString()).json));
  assert.equal(jf.status, 'success');
  assert.equal(jw.status, 'success');
  assertSameIdentity(jf.body, jw.body);
  assert.equal(fast.headers.connection, 'keep-alive');
  // The socket request was answered by the front; only the injected one went through fastify.
  assert.deepEqual(seenByFastify.splice(0), ['/v2/token/generate']);
});

test('generate: every error answer is byte-identical on both transports', async () => {
  const cases: Call[] = [
    { path: '/v2/token/generate', body: () => envelope({ email: 'not an email' }), headers: authHeaders() },
    { path: '/v2/token/generate', body: () => envelope({}), headers: authHeaders() },
    { path: '/v2/token/generate', body: () => envelope({ email: 'a@b.com', phone: '+12345678901' }), headers: authHeaders() },
    { path: '/v2/token/generate', body: () => 'not base64!', headers: authHeaders() },
    { path: '/v2/token/generate', body: () => '', headers: authHeaders() },
    { path: '/v2/token/generate', body: () => envelope({ email: 'user@example.com' }, CLIENTS.dsp), headers: authHeaders() },
    { path: '/v2/token/generate', body: () => envelope({ email: 'user@example.com' }), headers: { authorization: 'Bearer nope', 'content-type': 'text/plain' } },
    { path: '/v2/token/generate', body: () => envelope({ email: 'user@example.com' }), headers: { 'content-type': 'text/plain' } },
    { path: '/v2/token/generate', body: () => 'x'.repeat((1 << 20) + 1), headers: authHeaders() },
    { path: '/v2/token/refresh', body: () => 'garbage', headers: { 'content-type': 'text/plain' } },
    { path: '/v2/token/refresh', body: () => 'garbage', headers: authHeaders() },
    { path: '/v2/token/refresh', body: () => 'A'.repeat(388), headers: { 'content-type': 'text/plain' } },
  ];
  for (const call of cases) {
    const [fast, framework] = await both(call);
    const what = `${call.path} ${call.body().toString().slice(0, 20)}`;
    assert.ok(fast.status >= 400, what);
    assert.equal(fast.status, framework.status, what);
    assert.equal(fast.contentType, framework.contentType, what);
    assert.equal(fast.body.toString(), framework.body.toString(), what);
  }
});

test('generate: opt-out and binary requests answer alike', async () => {
  const optout = { path: '/v2/token/generate', body: () => envelope({ email: 'optout@example.com' }), headers: authHeaders() };
  for (const r of await both(optout)) assert.deepEqual(JSON.parse(decodeResponseEnvelope(secretOf(CLIENTS.special), r.body.toString()).json), { status: 'optout' });
  const binary = {
    path: '/v2/token/generate',
    body: () => encodeRequestEnvelope(secretOf(CLIENTS.special), { nowMs: op.clock.now(), payload: '{"email":"user@example.com"}' }),
    headers: { ...authHeaders(), 'content-type': 'application/octet-stream' },
  };
  const [fast, framework] = await both(binary);
  assert.equal(fast.contentType, 'application/octet-stream');
  assert.equal(framework.contentType, 'application/octet-stream');
  assert.equal(JSON.parse(decodeResponseEnvelope(secretOf(CLIENTS.special), fast.body).json).status, 'success');
});

test('one replay guard for both transports: an envelope admitted by one is refused by the other', async () => {
  const body = envelope({ email: 'user@example.com' });
  const call = { path: '/v2/token/generate', body: () => body, headers: authHeaders() };
  assert.equal((await overHttp(call)).status, 200);
  const again = await throughFastify(call);
  assert.equal(again.status, 400);
  assert.match(again.body.toString(), /nonce was already used/);
  const body2 = envelope({ email: 'user@example.com' });
  assert.equal((await throughFastify({ ...call, body: () => body2 })).status, 200);
  assert.match((await overHttp({ ...call, body: () => body2 })).body.toString(), /nonce was already used/);
});

test('refresh: a refresh token from the fast front refreshes on both transports', async () => {
  const gen = await overHttp({ path: '/v2/token/generate', body: () => envelope({ email: 'user@example.com' }), headers: authHeaders() });
  const identity = JSON.parse(decodeResponseEnvelope(secretOf(CLIENTS.special), gen.body.toString()).json).body;
  // The same refresh token twice is allowed (no nonce); each answer is sealed with the response key.
  const call = { path: '/v2/token/refresh', body: () => identity.refresh_token as string, headers: { 'content-type': 'text/plain' } };
  const [fast, framework] = await both(call);
  assert.equal(fast.status, 200);
  assert.equal(fast.contentType, framework.contentType);
  const key = Buffer.from(identity.refresh_response_key, 'base64');
  const [jf, jw] = [fast, framework].map((r) => JSON.parse(decryptRefreshResponse(key, r.body.toString())));
  assert.equal(jf.status, 'success');
  assertSameIdentity(jf.body, jw.body);
});

test('key routes: the same keys on both transports, and the same refusals', async () => {
  for (const path of ['/v2/key/sharing', '/v2/key/bidstream', '/v2/key/latest']) {
    for (const client of [CLIENTS.special, CLIENTS.dsp]) {
      const call = { path, body: () => envelope({}, client), headers: authHeaders(client) };
      seenByFastify.length = 0;
      const [fast, framework] = await both(call);
      assert.deepEqual(seenByFastify, [path], 'only the injected request went through fastify');
      assert.equal(fast.status, 200, `${path} ${client.siteId}`);
      assert.equal(framework.status, 200, `${path} ${client.siteId}`);
      assert.equal(fast.contentType, framework.contentType);
      const [jf, jw] = [fast, framework].map((r) => JSON.parse(decodeResponseEnvelope(secretOf(client), r.body.toString()).json));
      assert.equal(jf.status, 'success');
      assert.deepEqual(jf, jw, `${path} ${client.siteId}`);
    }
    const refusals: Call[] = [
      { path, body: () => 'not base64!', headers: authHeaders() },
      { path, body: () => envelope({}), headers: { authorization: 'Bearer nope', 'content-type': 'text/plain' } },
    ];
    for (const call of refusals) {
      const [fast, framework] = await both(call);
      assert.ok(fast.status === 400 || fast.status === 401, `${path}: ${fast.status}`);
      assert.equal(fast.status, framework.status);
      assert.equal(fast.body.toString(), framework.body.toString());
    }
  }
});

test('requests the front does not take reach fastify unchanged: CORS, query strings, other methods', async () => {
  const cors = await overHttp({ path: '/v2/token/generate', body: () => envelope({ email: 'user@example.com' }), headers: { ...authHeaders(), origin: 'https://pub.example' } });
  assert.equal(cors.status, 200);
  assert.equal(cors.headers['access-control-allow-origin'], 'https://pub.example');
  const query = await overHttp({ path: '/v2/token/generate?client=node-1.0', body: () => envelope({ email: 'user@example.com' }), headers: authHeaders() });
  assert.equal(query.status, 200);
  const preflight = await op.app.inject({ method: 'OPTIONS', url: '/v2/token/generate', headers: { origin: 'https://pub.example', 'access-control-request-method': 'POST' } });
  assert.equal(preflight.statusCode, 204);
  assert.ok(seenByFastify.includes('/v2/token/generate?client=node-1.0'));
});

test('the fast front records the same metrics as the fastify hooks', async () => {
  const version = 'uid2-client-node-9.9.9';
  await overHttp({ path: '/v2/token/generate', body: () => envelope({ email: 'metrics@example.com' }), headers: { ...authHeaders(), 'x-uid2-client-version': version } });
  await overHttp({ path: '/v2/token/generate', body: () => 'nope', headers: { authorization: 'Bearer nope', 'content-type': 'text/plain' } });
  const text = await op.deps.metrics.registry.metrics();
  assert.match(text, /uid2_http_requests_total\{method="POST",path="\/v2\/token\/generate",code="200"[^}]*\} [1-9]/);
  assert.match(text, /uid2_http_requests_total\{method="POST",path="\/v2\/token\/generate",code="401"[^}]*\} [1-9]/);
  assert.match(text, new RegExp(`uid2_client_sdk_versions_total\\{[^}]*client_version="${version.replace(/\./g, '\\.')}"[^}]*\\} 1`));
  assert.match(text, /uid2_token_response_status_count_total\{site_id="999",[^}]*token_endpoint="GenerateV2",token_response_status="Success"/);
});

test('identityBodyJson writes exactly JSON.stringify of an identity body', async () => {
  const { identityBodyJson, issueIdentity, PrivacyBits } = await import('../../src/operator/tokens/identity-tokens.ts');
  const { randomBytes } = await import('node:crypto');
  const { IdentityType } = await import('../../src/protocol/identity-kinds.ts');
  for (let i = 0; i < 50; i++) {
    const now = op.clock.now() + i * 1_000;
    const body = issueIdentity(op.deps, { scope: op.deps.config.identityScope, type: i % 2 === 0 ? IdentityType.Email : IdentityType.Phone, firstLevelHash: randomBytes(32), siteId: 999, privacyBits: PrivacyBits.serverSide, establishedMs: now - i }, now);
    assert.equal(identityBodyJson(body), JSON.stringify(body));
  }
});

test('a client that drops the connection mid-body (FIN or RST) leaves the server serving', async () => {
  const { connect } = await import('node:net');
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(`POST /v2/token/generate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENTS.special.key}\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n\r\nabc`);
        setTimeout(() => {
          if (i % 2) s.resetAndDestroy();
          else s.destroy();
          resolve();
        }, 20);
      });
      s.on('error', () => resolve());
    });
  }
  const ok = await overHttp({ path: '/v2/token/generate', body: () => envelope({ email: 'user@example.com' }), headers: authHeaders() });
  assert.equal(ok.status, 200);
});

/**
 * Raw HTTP/1.1 exchanges: every request is written in one synchronous loop on sockets the server
 * has accepted, so they all arrive in one poll phase (the server accepts one connection a turn).
 */
async function writeAllAtOnce(server: import('node:http').Server, requests: { path: string; body: string; headers: Record<string, string> }[]): Promise<(Reply | Error)[]> {
  const { connect } = await import('node:net');
  const address = server.address();
  const target = typeof address === 'object' && address ? address.port : 0;
  let accepted = 0;
  const allAccepted = new Promise<void>((resolve) => {
    const count = () => {
      if (++accepted < requests.length) return;
      server.off('connection', count);
      setImmediate(resolve);
    };
    server.on('connection', count);
  });
  const sockets = await Promise.all(
    requests.map(() => new Promise<import('node:net').Socket>((resolve, reject) => {
      const s = connect(target, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    })),
  );
  await allAccepted;
  const replies = sockets.map((s) => new Promise<Reply | Error>((resolve) => {
    let data = Buffer.alloc(0);
    s.removeAllListeners('error');
    s.on('error', (err) => resolve(err));
    s.on('close', () => resolve(new Error('closed before a complete answer')));
    s.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const body = data.subarray(end + 4);
      if (body.length < Number(headers['content-length'])) return;
      resolve({ status: Number(head[0].split(' ')[1]), contentType: String(headers['content-type']), body, headers });
      s.destroy();
    });
  }));
  requests.forEach((r, i) => {
    const head = Object.entries({ ...r.headers, host: 'x', 'content-length': String(Buffer.byteLength(r.body)) }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    sockets[i].write(`POST ${r.path} HTTP/1.1\r\n${head}\r\n${r.body}`);
  });
  return Promise.all(replies);
}

test('requests answered in one batch each get their own answer: generates, refreshes and errors mixed', async () => {
  const gen = await overHttp({ path: '/v2/token/generate', body: () => envelope({ email: 'batch-refresh@example.com' }), headers: authHeaders() });
  const refreshToken = String(JSON.parse(decodeResponseEnvelope(secretOf(CLIENTS.special), gen.body.toString()).json).body.refresh_token);
  // More than one slice of a batch (fast-front.ts WRITE_EVERY = 64).
  const kinds = Array.from({ length: 150 }, (_, i) => (i % 5 === 4 ? 'error' : i % 5 === 3 ? 'refresh' : 'generate'));
  seenByFastify.length = 0;
  const replies = await writeAllAtOnce(op.app.server, kinds.map((kind, i) => {
    if (kind === 'error') return { path: '/v2/token/generate', body: 'not base64!', headers: authHeaders() };
    if (kind === 'refresh') return { path: '/v2/token/refresh', body: refreshToken, headers: { 'content-type': 'text/plain' } };
    return { path: '/v2/token/generate', body: envelope({ email: `batch${i}@example.com` }), headers: authHeaders() };
  }));
  assert.deepEqual(seenByFastify, [], 'the front answered every request');
  const keys = op.deps.stores.keysetKeys.current();
  const refusal = await throughFastify({ path: '/v2/token/generate', body: () => 'not base64!', headers: authHeaders() });
  for (const [i, reply] of replies.entries()) {
    assert.ok(!(reply instanceof Error), `request ${i}: ${String(reply)}`);
    if (kinds[i] === 'error') {
      assert.equal(reply.status, 400);
      assert.equal(reply.body.toString(), refusal.body.toString());
    } else if (kinds[i] === 'refresh') {
      assert.equal(reply.status, 200, `refresh ${i}`);
    } else {
      // The raw UID in each answer is the one of its own email.
      const framework = await throughFastify({ path: '/v2/token/generate', body: () => envelope({ email: `batch${i}@example.com` }), headers: authHeaders() });
      const [mine, expected] = [reply, framework].map((r) => JSON.parse(decodeResponseEnvelope(secretOf(CLIENTS.special), r.body.toString()).json).body);
      const [a, b] = [mine, expected].map((x) => decodeAdvertisingToken(String(x.advertising_token), (id) => keys.byId.get(id)));
      assert.ok(a.rawUid.equals(b.rawUid), `generate ${i}`);
    }
  }
});

test('an answer that cannot be written closes its own connection and is logged; the rest of its batch is answered', async () => {
  const { createServer } = await import('node:http');
  const { Registry } = await import('prom-client');
  const pino = (await import('pino')).default;
  const { ClientVersionMetrics } = await import('../../src/operator/http/client-version.ts');
  const { createFastFront } = await import('../../src/operator/http/fast-front.ts');
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const front = createFastFront({
    deps: { ...op.deps, logger },
    routes: [
      { url: '/good', auth: 'optional', handle: () => ({ statusCode: 200, contentType: 'text/plain', body: 'fine' }) },
      // writeHead refuses a status code below 100: a bug in a route, not bad input.
      { url: '/broken', auth: 'optional', handle: () => ({ statusCode: 42, contentType: 'text/plain', body: 'secret-body' }) },
    ],
    clientVersions: new ClientVersionMetrics(new Registry()),
    closing: () => false,
  });
  const server = createServer((req, res) => {
    if (!front(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const plain = { 'content-type': 'text/plain' };
    const replies = await writeAllAtOnce(server, [
      { path: '/good', body: 'a', headers: plain },
      { path: '/broken', body: 'b', headers: plain },
      { path: '/good', body: 'c', headers: plain },
    ]);
    for (const i of [0, 2]) {
      const reply = replies[i];
      assert.ok(!(reply instanceof Error), String(reply));
      assert.equal(reply.status, 200);
      assert.equal(reply.body.toString(), 'fine');
    }
    assert.ok(replies[1] instanceof Error, 'the broken answer closed its connection');
    const logged = lines.join('');
    assert.match(logged, /the answer could not be written/);
    assert.match(logged, /"route":"\/broken"/);
    assert.doesNotMatch(logged, /secret-body/);
  } finally {
    server.close();
  }
});
