/**
 * A free TCP port on the loopback interface, found by binding port 0 and releasing it. Services
 * that must know their own public URL before they listen (Core's `--public-url`) need the port
 * up front; the short window between release and reuse is acceptable for a local stack.
 */
import { createServer } from 'node:net';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
