/**
 * The operator's own `node:http` server with a front for the hot routes (issue 6): a plain POST
 * to a hot route's exact path is read, authenticated and answered here by the same function
 * fastify runs for it (hot-route.ts), without the framework's per-request routing, hooks and
 * reply pipeline; the answer is written once with its length. Everything else — other routes,
 * query strings, CORS (an `Origin` header), chunked bodies, a server that is closing — goes to
 * fastify unchanged. Metrics, client-version counts and the error log line are the same calls
 * the fastify hooks make (response-observer.ts, client-version.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import type { OperatorDeps } from '../deps.ts';
import { Unauthorized } from '../errors.ts';
import type { ClientVersionMetrics } from './client-version.ts';
import { frameworkErrorAnswer, type Answer } from './error-handler.ts';
import { failedOutcome, runHotRoute, type Exchange, type HotRoute, type Outcome } from './hot-route.ts';
import { MAX_REQUEST_BODY_SIZE } from './raw-body.ts';
import { observeResponse } from './response-observer.ts';
import { authenticate } from './role-check.ts';

export interface FastFrontOptions {
  readonly deps: OperatorDeps;
  readonly routes: readonly HotRoute[];
  readonly clientVersions: ClientVersionMetrics;
  /** True once the app is closing: fastify then answers 503 (`return503OnClosing`). */
  readonly closing: () => boolean;
}

type Front = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Upstream honours X-Forwarded-For (spec §1; fastify `trustProxy: true`): the leftmost address. */
function clientAddress(req: IncomingMessage): string | undefined {
  const forwarded = req.headers['x-forwarded-for'];
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '';
  return first.length > 0 ? first : req.socket.remoteAddress;
}

function write(res: ServerResponse, answer: Answer): void {
  const length = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length;
  res.writeHead(answer.statusCode, { 'content-type': answer.contentType, 'content-length': length });
  res.end(answer.body);
}

/** Returns a handler that answers a hot-route request and returns true, or returns false to pass it on. */
export function createFastFront(o: FastFrontOptions): Front {
  const { deps } = o;
  const routes = new Map(o.routes.map((r) => [r.url, r]));

  const finish = (req: IncomingMessage, res: ServerResponse, route: HotRoute, started: number, exchange: Exchange | undefined, outcome: Outcome) => {
    write(res, outcome.answer);
    const client = exchange?.client;
    observeResponse(deps.metrics, deps.logger, {
      method: 'POST',
      route: route.url,
      statusCode: outcome.answer.statusCode,
      elapsedMs: performance.now() - started,
      siteId: client?.siteId ?? exchange?.siteId,
      errorInfo: outcome.errorInfo,
      url: req.url ?? route.url,
      headers: req.headers,
      clientAddress: () => clientAddress(req),
    });
    o.clientVersions.record({ headers: req.headers, url: req.url ?? route.url }, client?.contact);
  };

  return (req, res) => {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const route = routes.get(req.url);
    const h = req.headers;
    if (route === undefined || h.origin !== undefined || h['transfer-encoding'] !== undefined || o.closing()) return false;
    const started = performance.now();
    // 401 before the body is read (spec §2.1), then the size limit (spec §1), as in fastify.
    const client = authenticate(deps, route.auth, h.authorization);
    if (client === false) {
      finish(req, res, route, started, undefined, failedOutcome(deps, route, new Unauthorized()));
      return true;
    }
    const length = Number(h['content-length'] ?? 0);
    if (length > MAX_REQUEST_BODY_SIZE) {
      const { errorInfo, ...answer } = frameworkErrorAnswer(413);
      finish(req, res, route, started, undefined, { answer, errorInfo });
      return true;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const exchange: Exchange = { headers: h, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), client, siteId: undefined };
      const outcome = runHotRoute(deps, route, exchange);
      if (outcome instanceof Promise) void outcome.then((out) => finish(req, res, route, started, exchange, out));
      else finish(req, res, route, started, exchange, outcome);
    });
    return true;
  };
}

/** The options fastify hands its server factory that a server it made itself would get. */
interface FastifyServerSettings {
  readonly http?: ServerOptions;
  readonly keepAliveTimeout?: number;
  readonly requestTimeout?: number;
  readonly connectionTimeout?: number;
  readonly maxRequestsPerSocket?: number;
}

/** Fastify's `serverFactory`: the HTTP/1.1 server fastify would make, with the front before fastify's handler. */
export function fastFrontServerFactory(front: Front): FastifyServerFactory {
  return (handler, fastifyOptions) => {
    const options = fastifyOptions as FastifyServerSettings;
    const server: Server = createServer(options.http ?? {}, (req, res) => {
      if (!front(req, res)) handler(req, res);
    });
    // The settings fastify applies to a server it creates itself (lib/server.js).
    server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
    server.requestTimeout = options.requestTimeout ?? 0;
    server.setTimeout(options.connectionTimeout ?? 0);
    if ((options.maxRequestsPerSocket ?? 0) > 0) server.maxRequestsPerSocket = options.maxRequestsPerSocket!;
    return server;
  };
}
