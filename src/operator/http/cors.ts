/**
 * CORS on every route (spec §14, upstream `createCorsHandler`): any origin is reflected; methods
 * GET/POST/OPTIONS; a fixed header allow-list, plus `Authorization` on `/v2/token/validate`.
 * Preflight requests are answered here, before routing, so they work on every path.
 */
import type { FastifyInstance } from 'fastify';

const ALLOWED_HEADERS = [
  'X-UID2-Client-Version',
  'Access-Control-Request-Method',
  'Access-Control-Allow-Credentials',
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Headers',
  'Content-Type',
];
const ALLOWED_METHODS = 'GET,POST,OPTIONS';
const VALIDATE_PATH = '/v2/token/validate';

function allowedHeaders(url: string): string {
  const path = url.split('?')[0];
  return (path === VALIDATE_PATH ? [...ALLOWED_HEADERS, 'Authorization'] : ALLOWED_HEADERS).join(',');
}

export function installCors(app: FastifyInstance): void {
  // Callback style, not async: no promise per request on the hot path (issue 6).
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || origin.length === 0) return done();
    reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Vary', 'Origin');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      // Answered here; `done` is not called, so routing stops (fastify early reply).
      reply
        .header('Access-Control-Allow-Methods', ALLOWED_METHODS)
        .header('Access-Control-Allow-Headers', allowedHeaders(request.url))
        .code(204)
        .send();
      return;
    }
    done();
  });
}
