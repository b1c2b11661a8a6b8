/**
 * Sends one HTTP/1.1 request to a server on 127.0.0.1 over a real socket and collects the answer:
 * what the conformance suites use to drive the operator's production server. The shape of the
 * options and the reply follows `light-my-request` (`url`, `headers`, `payload`; `statusCode`,
 * `body`, `rawPayload`, `json()`), so a test reads the same whichever server it talks to.
 */
import { request, type IncomingHttpHeaders } from 'node:http';

export interface SendOptions {
  readonly method?: string;
  /** Path and query. */
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly payload?: string | Buffer;
  /** Send the body as `Transfer-Encoding: chunked`, in chunks of this many bytes. */
  readonly chunkSize?: number;
}

export interface Reply {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as UTF-8 text. */
  readonly body: string;
  readonly rawPayload: Buffer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(): any;
}

export function sendHttp(port: number, o: SendOptions): Promise<Reply> {
  const payload = o.payload === undefined ? undefined : Buffer.isBuffer(o.payload) ? o.payload : Buffer.from(o.payload, 'utf8');
  const method = o.method ?? (payload === undefined ? 'GET' : 'POST');
  const headers: Record<string, string> = { ...o.headers };
  if (payload !== undefined && o.chunkSize === undefined) headers['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path: o.url, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const rawPayload = Buffer.concat(chunks);
        const body = rawPayload.toString('utf8');
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body, rawPayload, json: () => JSON.parse(body) });
      });
    });
    req.on('error', reject);
    if (payload !== undefined && o.chunkSize !== undefined) {
      for (let i = 0; i < payload.length; i += o.chunkSize) req.write(payload.subarray(i, i + o.chunkSize));
    }
    req.end(o.chunkSize === undefined ? payload : undefined);
  });
}
