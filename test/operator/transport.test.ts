/**
 * The operator's HTTP transport (issue 15): every route's success and each of its documented
 * errors (docs/openapi.yaml) is answered the same whether the body arrives in one chunk or
 * chunked, with an `Origin` header or a query string, over real sockets to the production server.
 * And the transport's own behaviours: keep-alive, HEAD, a chunked body over the limit, a
 * malformed request on one connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { decodeResponseEnvelope } from '../../src/protocol/envelope-v2.ts';
import { repoRoot } from '../support/shared.ts';
import type { SendOptions } from '../support/http-send.ts';
import { callV2, CLIENTS, fixtureOperator } from './support/operator-fixture.ts';
import { DISABLED_SUBSCRIPTION, ROUTE_CASES, readAnswer, type Tokens } from './support/route-cases.ts';

const op = await fixtureOperator({ client_side_token_generate: true, optout_status_api_enabled: true }, { optOutWriter: { write: async () => {} } });
test.after(() => op.close());
// A disabled keypair beside the fixture's (client-generate's 401).
const pairs = op.deps.stores.cstgKeypairs.current();
const fixturePair = pairs.bySubscriptionId.get('4WvryDGbR5')!;
op.deps.stores.cstgKeypairs.swap({ ...pairs, bySubscriptionId: new Map([...pairs.bySubscriptionId, [DISABLED_SUBSCRIPTION, { ...fixturePair, subscriptionId: DISABLED_SUBSCRIPTION, disabled: true }]]) });

async function issueTokens(): Promise<Tokens> {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  return { advertisingToken: json.body.advertising_token, refreshToken: json.body.refresh_token, refreshResponseKey: json.body.refresh_response_key };
}

type Mode = (o: SendOptions) => SendOptions;
const MODES: Record<string, Mode> = {
  'one chunk': (o) => o,
  // Three chunks (and no Content-Length), so the body is put together from parts.
  chunked: (o) => ({ ...o, chunkSize: Math.max(1, Math.ceil((o.payload?.length ?? 0) / 3)) }),
  'Origin header': (o) => ({ ...o, headers: { origin: 'https://www.uidapi.com', ...o.headers } }),
  'query string': (o) => ({ ...o, url: `${o.url}?client=js-3.1.0&x=1` }),
};

test('the route cases cover every route and every documented status but 500', () => {
  const doc = parse(readFileSync(join(repoRoot, 'docs/openapi.yaml'), 'utf8')) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.values(ops).flatMap((o) => Object.keys(o.responses).filter((s) => s !== '500' && s !== '503').map((s) => `${path} ${s}`)));
  const covered = new Set(ROUTE_CASES.map((c) => `${c.path} ${c.status}`));
  assert.deepEqual([...new Set(documented)].sort(), [...covered].sort());
});

test('every route answers alike whether the body is one chunk or chunked, with an Origin or a query string', async () => {
  const tokens = await issueTokens();
  for (const c of ROUTE_CASES) {
    const answers = [];
    for (const [mode, shape] of Object.entries(MODES)) {
      const sent = c.build(op, tokens);
      const reply = await op.send(shape(sent.request));
      assert.equal(reply.statusCode, c.status, `${c.path} ${c.name} (${mode}): ${reply.body.slice(0, 200)}`);
      if (mode === 'Origin header') assert.equal(reply.headers['access-control-allow-origin'], sent.request.headers?.origin ?? 'https://www.uidapi.com');
      else if (sent.request.headers?.origin === undefined) assert.equal(reply.headers['access-control-allow-origin'], undefined);
      answers.push(readAnswer(sent, reply));
    }
    for (const a of answers.slice(1)) assert.deepEqual(a, answers[0], `${c.path} ${c.name}`);
  }
});

test('keep-alive: several requests on one connection, each answered in turn', async () => {
  const raw = await exchangeRaw([0, 1, 2].map(() => 'GET /ops/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n').join(''), 3);
  assert.equal(raw.filter((r) => r.startsWith('HTTP/1.1 200')).length, 3, raw.join('\n'));
  assert.ok(raw.every((r) => /\r\nConnection: keep-alive\r\n/i.test(r)));
});

test('HEAD on the health check: its status and headers, no body', async () => {
  const [reply] = await exchangeRaw('HEAD /ops/healthcheck HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 1);
  assert.match(reply, /^HTTP\/1\.1 200 /);
  assert.match(reply, /content-length: 2\r\n/i);
  assert.ok(reply.endsWith('\r\n\r\n'), 'no body');
});

test('a chunked body past 1 MiB is answered 413 and its connection closed, unread', async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  const socket = connect(op.port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (c) => received.push(c));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write(`POST /v2/token/generate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENTS.special.key}\r\nTransfer-Encoding: chunked\r\n\r\n`);
  // 20 chunks of 64 KiB: over the limit after the 17th; the server stops reading and closes.
  for (let i = 0; i < 20 && !socket.destroyed; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
  await closed;
  const text = Buffer.concat(received).toString('latin1');
  assert.match(text, /^HTTP\/1\.1 413 /);
  assert.match(text, /Connection: close/i);
  assert.ok(text.endsWith('Request Entity Too Large'));
});

test('a malformed request closes only its own connection', async () => {
  const other = connect(op.port, '127.0.0.1');
  await new Promise((r) => other.once('connect', r));
  const [bad] = await exchangeRaw('NOT-HTTP garbage\r\n\r\n', 1);
  assert.match(bad, /^HTTP\/1\.1 400 /);
  // The connection opened before still serves.
  const reply = await new Promise<string>((resolve) => {
    other.once('data', (c) => resolve(c.toString('latin1')));
    other.write('GET /ops/healthcheck HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  other.destroy();
  assert.match(reply, /^HTTP\/1\.1 200 /);
  const { res, json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  assert.equal(res.statusCode, 200);
  assert.equal(json.status, 'success');
});

test('a query string never changes an answer: the v2 envelope is read, the query only counted', async () => {
  const { res } = await callV2(op, { path: '/v2/key/sharing?client=ios-1.0', payload: {} });
  assert.equal(res.statusCode, 200);
  const body = JSON.parse(decodeResponseEnvelope(Buffer.from(CLIENTS.special.secret, 'base64'), res.body).json);
  assert.equal(body.body.caller_site_id, 999);
});

/** Writes `text` on a new connection and collects `count` HTTP answers (heads and bodies as text). */
function exchangeRaw(text: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(op.port, '127.0.0.1', () => socket.write(text));
    let data = '';
    const answers = (): string[] => {
      const out: string[] = [];
      let rest = data;
      while (rest.length > 0) {
        const end = rest.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = rest.slice(0, end + 4);
        const isHead = text.startsWith('HEAD');
        const length = isHead ? 0 : Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (rest.length < end + 4 + length) break;
        out.push(rest.slice(0, end + 4 + length));
        rest = rest.slice(end + 4 + length);
      }
      return out;
    };
    socket.on('data', (c) => {
      data += c.toString('latin1');
      if (answers().length >= count) {
        socket.destroy();
        resolve(answers());
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answers()));
  });
}
