/**
 * A free TCP port on the loopback interface, for services that must know their own URL before
 * they listen (Core's `--public-url`, the operator's core/optout URLs in a local stack).
 *
 * The port is released before the service binds it, so something else may take it in between.
 * A port from `bind(0)` comes from the kernel's ephemeral range, the same range every outgoing
 * connection takes its source port from: on a busy machine (a test suite opening hundreds of
 * connections) one of them can land on it (EADDRINUSE, seen in CI). So the port is picked at
 * random below that range, where only explicit binds go, and probed by binding it; `bind(0)` is
 * the fallback where no such range exists.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Ports under this are left alone (well-known and commonly configured services). */
const LOWEST = 10_000;
const ATTEMPTS = 20;

/** The kernel's ephemeral range's first port (Linux), or undefined where it cannot be read. */
function ephemeralLow(): number | undefined {
  try {
    const low = Number.parseInt(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0] ?? '', 10);
    return Number.isSafeInteger(low) ? low : undefined;
  } catch {
    return undefined;
  }
}

/** Binds `port` (0 = any) and releases it: the port bound, or undefined when it was taken. */
function probe(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err)));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const high = ephemeralLow();
  if (high !== undefined && high - LOWEST >= 1000) {
    for (let i = 0; i < ATTEMPTS; i++) {
      const port = await probe(LOWEST + Math.floor(Math.random() * (high - LOWEST)), host);
      if (port !== undefined) return port;
    }
  }
  const port = await probe(0, host);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}
