/**
 * `server-limits.ts` and `body-budget.ts` on a fastify app (Core and OptOut):
 *
 * - the server options fastify passes to `http.createServer` and sets itself (its own defaults
 *   would switch `requestTimeout` off);
 * - after creation, the connection cap;
 * - a `preParsing` hook leasing each request's body bytes from the process's budget: the declared
 *   Content-Length before a byte is read, or each chunk of a chunked body as it arrives; over
 *   budget → `BodyBudgetExceeded` (the service answers 503);
 * - an `onSend` hook closing the connection of any error answered before the body was read
 *   (401 from an `onRequest` auth hook, 413, 503), so its unread bytes are never waited for.
 *
 * Routes with auth check it in `onRequest`, which runs before `preParsing`: an unauthenticated
 * caller never gets a byte of its body buffered.
 */
import { pipeline, Transform } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { BodyBudget, BodyBudgetExceeded } from './body-budget.ts';
import { applyServerLimits, nodeServerOptions, type ServerLimits } from './server-limits.ts';

/** Fastify constructor options for the limits (spread into `Fastify({...})`). */
export function fastifyLimitOptions(limits: ServerLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: nodeServerOptions(limits),
  };
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}

/** Counts a body of unknown length against its lease as the chunks pass. */
function meteredStream(take: (bytes: number) => boolean): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (take(chunk.length)) callback(null, chunk);
      else callback(new BodyBudgetExceeded());
    },
  });
}

/**
 * Installs the limits on `app` (call before registering routes, so every route gets the hooks).
 * `bodyLimit` is the app's own per-request limit (bodies declared larger are refused with 413
 * before being read, so they take nothing from the budget). Returns the budget (for tests).
 */
export function installServerLimits(app: FastifyInstance, limits: ServerLimits, bodyLimit: number): BodyBudget {
  applyServerLimits(app.server, limits);
  const budget = new BodyBudget(limits.maxBufferedBodyBytes);
  app.addHook('preParsing', async (request, reply, payload) => {
    if (!hasBody(request.headers)) return payload;
    const lease = budget.lease();
    reply.raw.once('close', () => lease.release());
    const declared = Number(request.headers['content-length']);
    if (Number.isSafeInteger(declared) && declared >= 0) {
      if (declared <= bodyLimit && !lease.take(declared)) throw new BodyBudgetExceeded();
      return payload;
    }
    // pipeline, not pipe: an aborted upload also ends the metered stream (fastify then stops waiting).
    return pipeline(payload, meteredStream((bytes) => lease.take(bytes)), () => undefined);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400 && request.raw.complete === false) {
      reply.header('connection', 'close');
      // Once the answer is written, drop the socket: otherwise Node resumes reading the unread body
      // just to discard it, holding a buffer per connection while it does.
      reply.raw.once('finish', () => request.raw.socket?.destroy());
    }
    return payload;
  });
  return budget;
}
