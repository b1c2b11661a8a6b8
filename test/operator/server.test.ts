/**
 * The operator's HTTP server (src/operator/http/server.ts): requests completed in one event-loop
 * turn are answered as a batch, each with its own answer; an answer that cannot be written closes
 * only its own connection; a client dropping mid-body leaves the server serving; shutdown drains
 * (open requests finish, each connection closes after its answer, idle ones at once) and, past
 * the grace period, everything left is answered 503 or closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { Registry } from 'prom-client';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { ClientVersionMetrics } from '../../src/operator/http/client-version.ts';
import { DEFAULT_SERVER_LIMITS } from '../../src/http/server-limits.ts';
import { Pipeline } from '../../src/operator/http/pipeline.ts';
import { ReplayGuard } from '../../src/operator/http/replay-guard.ts';
import { defineRoute, noBody } from '../../src/operator/http/route.ts';
import { OperatorServer } from '../../src/operator/http/server.ts';
import { CLIENTS, fixtureOperator } from './support/operator-fixture.ts';

const op = await fixtureOperator();
test.after(() => op.close());

const secret = Buffer.from(CLIENTS.special.secret, 'base64');
const envelope = (payload: unknown) => encodeRequestEnvelope(secret, { nowMs: op.clock.now(), payload: JSON.stringify(payload) }).toString('base64');
const auth = { authorization: `Bearer ${CLIENTS.special.key}`, 'content-type': 'text/plain' };

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', reject);
  });
}

/** The first complete answer on `socket`, or an Error when it closes first. */
function nextReply(socket: Socket): Promise<RawReply | Error> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    socket.removeAllListeners('error');
    socket.on('error', (err) => resolve(err));
    socket.on('close', () => resolve(new Error('closed before a complete answer')));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(head.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const body = data.subarray(end + 4);
      if (body.length < Number(headers['content-length'] ?? 0)) return;
      resolve({ status: Number(head[0].split(' ')[1]), headers, body });
    });
  });
}

function requestText(path: string, body: string, headers: Record<string, string>): string {
  const lines = Object.entries({ ...headers, host: 'x', 'content-length': String(Buffer.byteLength(body)) }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST ${path} HTTP/1.1\r\n${lines}\r\n${body}`;
}

/**
 * Every request written in one synchronous loop on connections the server has accepted, so they
 * all arrive in one poll phase and are answered as one batch.
 */
async function writeAllAtOnce(server: OperatorServer, port: number, requests: { path: string; body: string; headers: Record<string, string> }[]): Promise<(RawReply | Error)[]> {
  let accepted = 0;
  const allAccepted = new Promise<void>((resolve) => {
    const count = () => {
      if (++accepted < requests.length) return;
      server.server.off('connection', count);
      setImmediate(resolve);
    };
    server.server.on('connection', count);
  });
  const sockets = await Promise.all(requests.map(() => open(port)));
  await allAccepted;
  const replies = sockets.map((s) => nextReply(s));
  requests.forEach((r, i) => sockets[i].write(requestText(r.path, r.body, r.headers)));
  const out = await Promise.all(replies);
  for (const s of sockets) s.destroy();
  return out;
}

test('requests answered in one batch each get their own answer: generates, refreshes and errors mixed', async () => {
  const gen = await op.send({ method: 'POST', url: '/v2/token/generate', headers: auth, payload: envelope({ email: 'batch-refresh@example.com' }) });
  const refreshToken = String(JSON.parse(decodeResponseEnvelope(secret, gen.body).json).body.refresh_token);
  // More than one slice of a batch (server.ts SLICE = 64).
  const kinds = Array.from({ length: 150 }, (_, i) => (i % 5 === 4 ? 'error' : i % 5 === 3 ? 'refresh' : 'generate'));
  const replies = await writeAllAtOnce(op.server, op.port, kinds.map((kind, i) => {
    if (kind === 'error') return { path: '/v2/token/generate', body: 'not base64!', headers: auth };
    if (kind === 'refresh') return { path: '/v2/token/refresh', body: refreshToken, headers: { 'content-type': 'text/plain' } };
    return { path: '/v2/token/generate', body: envelope({ email: `batch${i}@example.com` }), headers: auth };
  }));
  const keys = op.deps.stores.keysetKeys.current();
  const refusal = await op.send({ method: 'POST', url: '/v2/token/generate', headers: auth, payload: 'not base64!' });
  for (const [i, reply] of replies.entries()) {
    assert.ok(!(reply instanceof Error), `request ${i}: ${String(reply)}`);
    if (kinds[i] === 'error') {
      assert.equal(reply.status, 400);
      assert.equal(reply.body.toString(), refusal.body);
    } else if (kinds[i] === 'refresh') {
      assert.equal(reply.status, 200, `refresh ${i}`);
    } else {
      // The raw UID in each answer is the one of its own email, as a lone request gets it.
      const alone = await op.send({ method: 'POST', url: '/v2/token/generate', headers: auth, payload: envelope({ email: `batch${i}@example.com` }) });
      const [mine, expected] = [reply.body.toString(), alone.body].map((b) => JSON.parse(decodeResponseEnvelope(secret, b).json).body);
      const [a, b] = [mine, expected].map((x) => decodeAdvertisingToken(String(x.advertising_token), (id) => keys.byId.get(id)));
      assert.ok(a.rawUid.equals(b.rawUid), `generate ${i}`);
    }
  }
});

test('an answer that cannot be written closes its own connection and is logged; the rest of its batch is answered', async () => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const deps = { ...op.deps, logger };
  const pipeline = new Pipeline({
    deps,
    routes: [
      defineRoute({ method: 'POST', path: '/good', auth: 'none', body: noBody, handle: () => ({ statusCode: 200, contentType: 'text/plain', body: 'fine' }) }),
      // writeHead refuses a status code below 100: a bug in a route, not bad input.
      defineRoute({ method: 'POST', path: '/broken', auth: 'none', body: noBody, handle: () => ({ statusCode: 42, contentType: 'text/plain', body: 'secret-body' }) }),
    ],
    replay: new ReplayGuard({ now: Date.now }),
    clientVersions: new ClientVersionMetrics(new Registry()),
  });
  const server = new OperatorServer({ pipeline, limits: DEFAULT_SERVER_LIMITS, logger });
  const port = await server.listen(0, '127.0.0.1');
  try {
    const plain = { 'content-type': 'text/plain' };
    const replies = await writeAllAtOnce(server, port, [
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
    assert.match(logged, /"path":"\/broken"/);
    assert.doesNotMatch(logged, /secret-body/);
  } finally {
    await server.close(100);
  }
});

test('a client that drops the connection mid-body (FIN or RST) leaves the server serving, its bytes given back', async () => {
  for (let i = 0; i < 6; i++) {
    const s = await open(op.port);
    s.write(`POST /v2/token/generate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${CLIENTS.special.key}\r\nContent-Type: text/plain\r\nContent-Length: 500\r\n\r\nabc`);
    await new Promise((r) => setTimeout(r, 20));
    if (i % 2) s.resetAndDestroy();
    else s.destroy();
  }
  const ok = await op.send({ method: 'POST', url: '/v2/token/generate', headers: auth, payload: envelope({ email: 'user@example.com' }) });
  assert.equal(ok.statusCode, 200);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(op.server.budget.inUse, 0, 'no body bytes held for abandoned requests');
});

test('shutdown drains: an open request finishes and its connection closes after it, idle ones at once, new ones are refused', async () => {
  const d = await fixtureOperator();
  const idle = await open(d.port);
  await new Promise((r) => setTimeout(r, 20));
  const busy = await open(d.port);
  const body = envelope({ email: 'drain@example.com' });
  busy.write(requestText('/v2/token/generate', body, auth).slice(0, -10)); // the body's last 10 bytes still to come
  await new Promise((r) => setTimeout(r, 50));
  const idleClosed = new Promise<void>((resolve) => idle.on('close', () => resolve()));
  const busyReply = nextReply(busy);
  const closing = d.server.close(5_000);
  await idleClosed;
  await assert.rejects(open(d.port), /ECONNREFUSED/, 'no new connection once draining');
  busy.write(body.slice(-10));
  const reply = await busyReply;
  assert.ok(!(reply instanceof Error), String(reply));
  assert.equal(reply.status, 200);
  assert.equal(reply.headers.connection, 'close');
  await closing;
});

test('past the grace period every request is answered 503 and its connection closed', async () => {
  const d = await fixtureOperator();
  try {
    d.pipeline.close();
    const s = await open(d.port);
    const reply = nextReply(s);
    s.write(requestText('/v2/token/generate', envelope({ email: 'late@example.com' }), auth));
    const r = await reply;
    assert.ok(!(r instanceof Error), String(r));
    assert.equal(r.status, 503);
    assert.equal(r.body.toString(), 'Service Unavailable');
    assert.equal(r.headers.connection, 'close');
    s.destroy();
  } finally {
    await d.close();
  }
});
