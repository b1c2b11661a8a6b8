/**
 * The operator's own `node:http` server with a front for the hot routes (issue 6): a plain POST
 * to a hot route's exact path is read, authenticated and answered here by the same function
 * fastify runs for it (hot-route.ts), without the framework's per-request routing, hooks and
 * reply pipeline; the answer is written once with its length. Everything else — other routes,
 * query strings, CORS (an `Origin` header), chunked bodies, repeated headers, a server that is
 * closing — goes to fastify unchanged. Metrics, client-version counts and the error log line are
 * the same calls the fastify hooks make (response-observer.ts, client-version.ts).
 *
 * Per request the front reads only the five headers it needs from the raw list (node builds the
 * whole `req.headers` object lazily; the front touches it only to log an error).
 *
 * Requests whose bodies complete in one turn of the event loop are answered together, in one
 * `setImmediate` after the poll phase: every route first, then every write. Under load the route
 * code then runs back to back instead of once between each socket read and write; measured
 * against interleaving it, that halved the CPU per generate request (about 160 -> 75 us, see
 * bench/README.md). A lone request waits only for the end of the poll phase it arrived in.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerFactory } from 'fastify';
import type { OperatorDeps } from '../deps.ts';
import { Unauthorized } from '../errors.ts';
import type { ClientVersionMetrics } from './client-version.ts';
import { frameworkErrorAnswer, type Answer } from './error-handler.ts';
import { failedOutcome, runHotRoute, type Exchange, type HotRoute, type Outcome } from './hot-route.ts';
import { MAX_REQUEST_BODY_SIZE } from './raw-body.ts';
import { observeResponse, type CallerDetails } from './response-observer.ts';
import { authenticate } from './role-check.ts';

export interface FastFrontOptions {
  readonly deps: OperatorDeps;
  readonly routes: readonly HotRoute[];
  readonly clientVersions: ClientVersionMetrics;
  /** True once the app is closing: fastify then answers 503 (`return503OnClosing`). */
  readonly closing: () => boolean;
}

type Front = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The headers the front acts on (a subset of what node would put in `req.headers`). */
type FrontHeaders = Pick<IncomingHttpHeaders, 'authorization' | 'content-type' | 'content-length'> & { 'x-uid2-client-version'?: string };

const READ = new Set(['authorization', 'content-type', 'content-length', 'x-uid2-client-version']);
/** Headers that send a request to fastify: CORS, chunked bodies. */
const PASS_ON = new Set(['origin', 'transfer-encoding']);
/** Only names of these lengths can matter, so most headers are skipped without lower-casing. */
const NAME_LENGTHS = new Set([...READ, ...PASS_ON].map((n) => n.length));

/** The headers the front needs, or undefined when fastify must take the request. */
function frontHeaders(raw: readonly string[]): FrontHeaders | undefined {
  const h: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (!NAME_LENGTHS.has(name.length)) continue;
    const lower = name.toLowerCase();
    if (PASS_ON.has(lower)) return undefined;
    if (!READ.has(lower)) continue;
    // A repeated header is rare and has merge rules of its own: fastify's (node's) apply.
    if (h[lower] !== undefined) return undefined;
    h[lower] = raw[i + 1];
  }
  return h;
}

/** Upstream honours X-Forwarded-For (spec §1; fastify `trustProxy: true`): the leftmost address. */
function callerOf(req: IncomingMessage): CallerDetails {
  const headers: IncomingHttpHeaders = req.headers;
  const forwarded = headers['x-forwarded-for'];
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0].trim() : '';
  return { ip: first.length > 0 ? first : req.socket.remoteAddress, headers };
}

function write(res: ServerResponse, answer: Answer): void {
  const length = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length;
  res.writeHead(answer.statusCode, ['content-type', answer.contentType, 'content-length', String(length)]);
  res.end(answer.body);
}

/**
 * The most routes run before their answers are written (a slice of a batch): at ~50 us a route,
 * an answer waits at most ~3 ms for the others of its slice. Under the benchmark's 32 connections
 * a batch holds ~28 requests, so it is one slice.
 */
const WRITE_EVERY = 64;

/** One request in flight: its body chunks and what is needed to answer it (no closures per request). */
class PendingRequest {
  private readonly chunks: Buffer[] = [];
  exchange: Exchange | undefined;
  /** Set when the route has answered synchronously, in the batch's first pass. */
  outcome: Outcome | undefined;

  constructor(
    private readonly front: FrontState,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly route: HotRoute,
    readonly headers: FrontHeaders,
    readonly client: Exchange['client'],
    readonly started: number,
  ) {}

  onData(chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onEnd(): void {
    this.front.enqueue(this);
  }

  /** Runs the route; an asynchronous answer is written when it settles, on its own. */
  run(): void {
    const { chunks } = this;
    const exchange: Exchange = { headers: this.headers, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), client: this.client, siteId: undefined };
    this.exchange = exchange;
    const outcome = runHotRoute(this.front.deps, this.route, exchange);
    if (outcome instanceof Promise) void outcome.then((out) => this.front.settle(this, exchange, out));
    else this.outcome = outcome;
  }
}

class FrontState {
  readonly deps: OperatorDeps;
  private readonly routes: Map<string, HotRoute>;
  /** Requests with a complete body, answered at the end of this turn's poll phase. */
  private queue: PendingRequest[] = [];

  constructor(private readonly o: FastFrontOptions) {
    this.deps = o.deps;
    this.routes = new Map(o.routes.map((r) => [r.url, r]));
  }

  enqueue(p: PendingRequest): void {
    if (this.queue.push(p) === 1) setImmediate(this.answerQueued);
  }

  /**
   * Every queued route first, then every synchronous answer's write, in slices of at most
   * `WRITE_EVERY` requests, so that no answer waits behind more than that many routes.
   */
  private readonly answerQueued = (): void => {
    const batch = this.queue;
    this.queue = [];
    for (let start = 0; start < batch.length; start += WRITE_EVERY) {
      const end = Math.min(batch.length, start + WRITE_EVERY);
      for (let i = start; i < end; i++) batch[i].run();
      for (let i = start; i < end; i++) {
        const p = batch[i];
        if (p.outcome !== undefined) this.settle(p, p.exchange, p.outcome);
      }
    }
  };

  /**
   * `finish`, kept from failing the rest of a batch: an answer that cannot be written (a bug, not
   * bad input) is logged without its content and its connection closed, so the client sees an
   * error instead of waiting.
   */
  settle(p: PendingRequest, exchange: Exchange | undefined, outcome: Outcome): void {
    try {
      this.finish(p, exchange, outcome);
    } catch (err) {
      this.deps.logger.error({ route: p.route.url, error: err instanceof Error ? err.message : String(err) }, 'fast front: the answer could not be written');
      p.res.destroy();
    }
  }

  /** Answers a hot-route request and returns true, or returns false to pass it on. */
  take(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || req.url === undefined) return false;
    const route = this.routes.get(req.url);
    if (route === undefined || this.o.closing()) return false;
    const headers = frontHeaders(req.rawHeaders);
    if (headers === undefined) return false;
    const started = performance.now();
    const { deps } = this;
    // 401 before the body is read (spec §2.1), then the size limit (spec §1), as in fastify.
    const client = authenticate(deps, route.auth, headers.authorization);
    const pending = new PendingRequest(this, req, res, route, headers, client === false ? undefined : client, started);
    if (client === false) {
      this.settle(pending, undefined, failedOutcome(deps, route, new Unauthorized()));
      return true;
    }
    if (Number(headers['content-length'] ?? 0) > MAX_REQUEST_BODY_SIZE) {
      const { errorInfo, ...answer } = frameworkErrorAnswer(413);
      this.settle(pending, undefined, { answer, errorInfo });
      return true;
    }
    req.on('data', (chunk: Buffer) => pending.onData(chunk));
    req.on('end', () => pending.onEnd());
    return true;
  }

  private finish(p: PendingRequest, exchange: Exchange | undefined, outcome: Outcome): void {
    const { statusCode } = outcome.answer;
    write(p.res, outcome.answer);
    observeResponse(this.deps.metrics, this.deps.logger, {
      method: 'POST',
      route: p.route.url,
      statusCode,
      elapsedMs: performance.now() - p.started,
      siteId: p.client?.siteId ?? exchange?.siteId,
      errorInfo: outcome.errorInfo,
      url: p.route.url,
      caller: statusCode >= 400 ? callerOf(p.req) : undefined,
    });
    this.o.clientVersions.record({ headers: p.headers, url: p.route.url }, p.client?.contact);
  }
}

/** Returns a handler that answers a hot-route request and returns true, or returns false to pass it on. */
export function createFastFront(o: FastFrontOptions): Front {
  const state = new FrontState(o);
  return (req, res) => state.take(req, res);
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
