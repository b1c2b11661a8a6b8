/**
 * freePort (src/cli/stack/free-port.ts), which the local stack and the e2e tests use for the
 * services' ports: the port it returns can be bound, and it lies below the kernel's ephemeral
 * range, where outgoing connections take their source ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort } from '../../src/cli/stack/free-port.ts';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

test('freePort: a port that can then be bound, below the ephemeral range, never one that is held', async () => {
  const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]!, 10);
  const port = await freePort();
  assert.ok(port >= 10_000 && port < low, `port ${port} outside [10000, ${low})`);
  const server = await listen(port);
  try {
    const others = new Set<number>();
    for (let i = 0; i < 20; i++) others.add(await freePort());
    assert.ok(!others.has(port), 'a bound port was handed out');
  } finally {
    await new Promise((r) => server.close(r));
  }
});
