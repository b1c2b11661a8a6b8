/**
 * The limits on a fastify app (src/http/fastify-server-limits.ts), over real sockets: auth in
 * `onRequest` answers before the body is read and closes the connection; the body budget refuses
 * what it cannot cover (declared or chunked) with the app's 503, and every lease is given back
 * when its response closes, however the request ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import Fastify from 'fastify';
import { isBodyBudgetExceeded } from '../../src/http/body-budget.ts';
import { fastifyLimitOptions, installServerLimits } from '../../src/http/fastify-server-limits.ts';
import { serverLimitsFrom } from '../../src/http/server-limits.ts';

const limits = serverLimitsFrom({ http_headers_timeout_seconds: 2, http_request_timeout_seconds: 3, http_max_buffered_body_bytes: 3000 });
const BODY_LIMIT = 4096;

async function app() {
  const a = Fastify({ bodyLimit: BODY_LIMIT, ...fastifyLimitOptions(limits) });
  const budget = installServerLimits(a, limits, BODY_LIMIT);
  a.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  a.setErrorHandler((err, _request, reply) => {
    if (isBodyBudgetExceeded(err)) return reply.code(503).send({ status: 'busy' });
    return reply.code((err as { statusCode?: number }).statusCode ?? 500).send({ status: 'error' });
  });
  a.post('/open', async (request) => ({ length: String(request.body).length }));
  a.post('/guarded', {
    onRequest: async (request, reply) => {
      if (request.headers.authorization !== 'Bearer good') return reply.code(401).send({ status: 'unauthorized' });
    },
  }, async (request) => ({ length: String(request.body).length }));
  const url = await a.listen({ port: 0, host: '127.0.0.1' });
  return { app: a, budget, port: Number(new URL(url).port) };
}

interface Raw {
  readonly socket: Socket;
  readonly closed: Promise<string>;
}

function raw(port: number, text: string | Buffer): Raw {
  const socket = connect({ host: '127.0.0.1', port });
  let data = '';
  socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.write(text));
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve(data))) };
}

const head = (path: string, length: number, extra = '') => `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\ncontent-length: ${length}\r\n${extra}\r\n`;

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

test('onRequest auth answers 401 before the body is read and closes the connection', async () => {
  const { app: a, budget, port } = await app();
  try {
    const started = Date.now();
    const r = raw(port, head('/guarded', 4000) + 'x'.repeat(100));
    const answer = await r.closed;
    assert.match(answer, /^HTTP\/1\.1 401/);
    assert.match(answer, /connection: close/i);
    assert.ok(Date.now() - started < limits.requestTimeoutMs, 'closed at once, not at the request timeout');
    assert.equal(budget.inUse, 0, 'nothing of the body was leased');
  } finally {
    await a.close();
  }
});

test('bodies over the budget get 503 and a close; the lease comes back when the holder finishes', async () => {
  const { app: a, budget, port } = await app();
  try {
    const holder = raw(port, head('/open', 2000) + 'a'.repeat(1000));
    await until(() => budget.inUse === 2000);
    const refused = raw(port, head('/open', 2000) + 'b'.repeat(10));
    assert.match(await refused.closed, /^HTTP\/1\.1 503[\s\S]*"busy"/);
    holder.socket.write('a'.repeat(1000));
    await until(() => budget.inUse === 0);
    holder.socket.destroy();
    const res = await fetch(`http://127.0.0.1:${port}/open`, { method: 'POST', body: 'c'.repeat(2500), headers: { 'content-type': 'text/plain' } });
    assert.deepEqual(await res.json(), { length: 2500 });
    assert.equal(budget.inUse, 0);
  } finally {
    await a.close();
  }
});

test('a chunked body is metered as it arrives and refused once over the budget', async () => {
  const { app: a, budget, port } = await app();
  try {
    const chunk = (n: number) => `${n.toString(16)}\r\n${'z'.repeat(n)}\r\n`;
    const r = raw(port, `POST /open HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n${chunk(2000)}`);
    await until(() => budget.inUse === 2000);
    r.socket.write(chunk(2000));
    assert.match(await r.closed, /^HTTP\/1\.1 503/);
    await until(() => budget.inUse === 0);
  } finally {
    await a.close();
  }
});

test('a client that leaves mid-body gives its lease back', async () => {
  const { app: a, budget, port } = await app();
  try {
    const r = raw(port, head('/open', 2500) + 'q'.repeat(100));
    await until(() => budget.inUse === 2500);
    r.socket.destroy();
    await until(() => budget.inUse === 0);
  } finally {
    await a.close();
  }
});
