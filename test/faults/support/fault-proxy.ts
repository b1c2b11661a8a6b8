/**
 * An HTTP proxy in front of Core that injects faults (issue 7 §3). Operators talk to Core only
 * through it (Core's public URL is the proxy, so signed download links go through it too).
 * Modes apply to requests a predicate selects; the rest pass through:
 * - `pass`: forward unchanged;
 * - `refuse`: reset the connection (Core unreachable);
 * - `error`: 500 with a text body;
 * - `garbage`: 200 `application/json` whose body is random bytes;
 * - `hold`: keep the request open until the mode changes (Core slow / hung);
 * - `truncate`: forward, then cut the body in half at a line end (a truncated store file);
 * - `bad-signature`: flip one hex digit of the `sig` query parameter before forwarding.
 */
import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'pass' | 'refuse' | 'error' | 'garbage' | 'hold' | 'truncate' | 'bad-signature';

export interface FaultProxy {
  readonly url: string;
  /** Sets the mode for requests whose path+query `applies` selects (default: all). */
  set(mode: FaultMode, applies?: (pathAndQuery: string) => boolean): void;
  /** Requests answered with a fault since the last `set`. */
  readonly faulted: number;
  /** Requests currently held open. */
  readonly held: number;
  close(): Promise<void>;
}

/** Content downloads carry a signature; metadata and /attest do not. */
export const isDownload = (p: string) => /[?&]sig=/.test(p);
export const isMetadata = (p: string) => !isDownload(p) && !p.startsWith('/attest');

/** The first half of a file, cut at a line end when it has lines: the cleanest-looking damage. */
function truncated(body: Buffer): Buffer {
  const half = Math.floor(body.length / 2);
  const lineEnd = body.lastIndexOf(0x0a, half);
  return body.subarray(0, lineEnd > 0 ? lineEnd + 1 : half);
}

function flipSignature(path: string): string {
  return path.replace(/([?&]sig=)([0-9a-f])/, (_m, prefix: string, digit: string) => prefix + (digit === '0' ? '1' : '0'));
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let applies: (p: string) => boolean = () => true;
  let faulted = 0;
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, path: string, truncate: boolean) => {
    const upstream = httpRequest({ host: '127.0.0.1', port: targetPort, method: req.method, path, headers: req.headers }, (up) => {
      const chunks: Buffer[] = [];
      up.on('data', (c: Buffer) => chunks.push(c));
      up.on('end', () => {
        let body: Buffer = Buffer.concat(chunks);
        if (truncate && up.statusCode === 200) body = truncated(body);
        const headers = { ...up.headers, 'content-length': String(body.length) };
        delete headers['transfer-encoding'];
        res.writeHead(up.statusCode ?? 502, headers).end(body);
      });
    });
    upstream.on('error', () => res.writeHead(502).end('bad gateway'));
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '/';
    const m = applies(path) ? mode : 'pass';
    if (m !== 'pass') faulted++;
    switch (m) {
      case 'refuse':
        req.socket.destroy();
        return;
      case 'error':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('injected failure');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end(randomBytes(256));
        return;
      case 'hold':
        held.add(res);
        res.on('close', () => held.delete(res));
        return;
      case 'bad-signature':
        forward(req, res, flipSignature(path), false);
        return;
      default:
        forward(req, res, path, m === 'truncate');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    set(next, predicate = () => true) {
      mode = next;
      applies = predicate;
      faulted = 0;
      // Held requests are released as failures when the fault ends.
      for (const res of held) res.writeHead(503).end('released');
      held.clear();
    },
    get faulted() {
      return faulted;
    },
    get held() {
      return held.size;
    },
    async close() {
      for (const res of held) res.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
