/**
 * Every request body is read raw, whatever its Content-Type: SDKs send base64 envelopes as
 * `application/x-www-form-urlencoded`, `text/plain` and more, so nothing is ever form- or
 * JSON-decoded by the framework (client-expectations.md). Bodies over 1 MiB answer 413 (spec §1).
 */
import type { FastifyInstance } from 'fastify';

export const MAX_REQUEST_BODY_SIZE = 1 << 20;

export function installRawBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_REQUEST_BODY_SIZE }, (_request, body, done) => {
    done(null, body);
  });
}

/** The raw body as a Buffer (empty when the request had none). */
export function rawBody(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.alloc(0);
}

const OCTET_STREAM = 'application/octet-stream';

export function isOctetStream(contentType: string | undefined): boolean {
  // Shorter values cannot name it: the common text/plain request skips the parsing (issue 6).
  if (contentType === undefined || contentType.length < OCTET_STREAM.length) return false;
  return contentType.split(';')[0].trim().toLowerCase() === OCTET_STREAM;
}
