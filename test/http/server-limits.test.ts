/**
 * Server limits (src/http/server-limits.ts) on a plain node:http server, over real sockets: the
 * headers and request timeouts answer 408 and close, idle keep-alive connections are closed, and
 * connections over the cap are closed at once. Also the config keys that set them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { ConfigError } from '../../src/config/config-error.ts';
import { applyServerLimits, CONNECTIONS_CHECK_MS, DEFAULT_SERVER_LIMITS, nodeServerOptions, serverLimitsFrom, SERVER_LIMIT_KEYS } from '../../src/http/server-limits.ts';

const limits = serverLimitsFrom({ http_headers_timeout_seconds: 1, http_request_timeout_seconds: 2, http_keep_alive_timeout_seconds: 1, http_max_connections: 5 });

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer(nodeServerOptions(limits), (req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  applyServerLimits(server, limits);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

interface Outcome {
  readonly data: string;
  readonly afterMs: number;
}

/** Writes `text` on a fresh socket and resolves when the server closes it. */
function sendAndWaitClose(port: number, text: string): { socket: Socket; closed: Promise<Outcome> } {
  const started = Date.now();
  const socket = connect({ host: '127.0.0.1', port });
  let data = '';
  socket.on('data', (c: Buffer) => (data += c.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('connect', () => socket.write(text));
  const closed = new Promise<Outcome>((resolve) => socket.once('close', () => resolve({ data, afterMs: Date.now() - started })));
  return { socket, closed };
}

const slack = CONNECTIONS_CHECK_MS + 1500;

test('config keys: defaults, seconds to milliseconds, and refused values', () => {
  assert.deepEqual(serverLimitsFrom({}), DEFAULT_SERVER_LIMITS);
  assert.equal(SERVER_LIMIT_KEYS.http_request_timeout_seconds.default, 30);
  assert.equal(limits.headersTimeoutMs, 1000);
  assert.equal(limits.requestTimeoutMs, 2000);
  assert.throws(() => serverLimitsFrom({ http_max_connections: 0 }), ConfigError);
  assert.throws(() => serverLimitsFrom({ http_request_timeout_seconds: 'x' as never }), /http_request_timeout_seconds/);
  assert.throws(() => serverLimitsFrom({ http_headers_timeout_seconds: 40 }), /must be <= "http_request_timeout_seconds"/);
  assert.equal(nodeServerOptions(limits).connectionsCheckingInterval, CONNECTIONS_CHECK_MS);
});

test('headers sent too slowly get 408 and a close within the headers timeout', async () => {
  const { server, port } = await listen();
  try {
    const { closed } = sendAndWaitClose(port, 'POST / HTTP/1.1\r\nhost: x\r\n');
    const out = await closed;
    assert.match(out.data, /^HTTP\/1\.1 408/);
    assert.ok(out.afterMs <= limits.headersTimeoutMs + slack, `closed after ${out.afterMs} ms`);
  } finally {
    server.close();
  }
});

test('a body that never completes gets 408 and a close within the request timeout', async () => {
  const { server, port } = await listen();
  try {
    const { closed } = sendAndWaitClose(port, 'POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\na');
    const out = await closed;
    assert.match(out.data, /^HTTP\/1\.1 408/);
    assert.ok(out.afterMs >= limits.requestTimeoutMs - 100 && out.afterMs <= limits.requestTimeoutMs + slack, `closed after ${out.afterMs} ms`);
  } finally {
    server.close();
  }
});

test('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
  const { server, port } = await listen();
  try {
    const { closed } = sendAndWaitClose(port, 'GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    const out = await closed;
    assert.match(out.data, /^HTTP\/1\.1 200[\s\S]*ok$/);
    assert.ok(out.afterMs <= limits.keepAliveTimeoutMs + slack, `closed after ${out.afterMs} ms`);
  } finally {
    server.close();
  }
});

test('connections over the cap are closed at once; the ones under it stay open', async () => {
  const { server, port } = await listen();
  const held = Array.from({ length: limits.maxConnections }, () => connect({ host: '127.0.0.1', port }));
  try {
    await Promise.all(held.map((s) => once(s, 'connect')));
    // Let the server accept them before the next one arrives.
    while ((await new Promise<number>((r) => server.getConnections((_e, n) => r(n)))) < limits.maxConnections) await new Promise((r) => setTimeout(r, 10));
    const extra = sendAndWaitClose(port, '');
    const out = await extra.closed;
    assert.equal(out.data, '', 'refused without an answer');
    assert.ok(out.afterMs < limits.headersTimeoutMs, `closed after ${out.afterMs} ms, before any timeout`);
    assert.ok(held.every((s) => !s.destroyed), 'the connections under the cap are untouched');
  } finally {
    for (const s of held) s.destroy();
    server.close();
  }
});
