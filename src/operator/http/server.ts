/**
 * The operator's HTTP server: `node:http` carrying requests into the pipeline (pipeline.ts), for
 * every route. Per request it reads the request line and the few headers the pipeline acts on,
 * lets `begin` decide on the head (no body byte is read before authentication), reads the body
 * within the limits (limits.ts), and writes each answer once, with its length.
 *
 * Requests whose bodies complete in one turn of the event loop are answered together, in one
 * `setImmediate` after the poll phase: every route first, then every write, in slices of at most
 * `SLICE` requests. Under load the route code then runs back to back instead of once between
 * each socket read and write (issue 6: about half the CPU per generate request). A lone request
 * waits only for the end of the poll phase it arrived in.
 *
 * Shutdown (`drain`, then `close`): the listening socket closes and idle connections with it;
 * requests still arriving on open connections are answered, each with `Connection: close`, while
 * the health check says 503 (the operator marks itself unhealthy first); past the grace period
 * the pipeline answers 503 and the remaining connections are closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { reasonOutcome, type Outcome } from './answer.ts';
import { BodyBudget, type BodyLease } from '../../http/body-budget.ts';
import { applyServerLimits, nodeServerOptions, type ServerLimits } from '../../http/server-limits.ts';
import { MAX_REQUEST_BODY_SIZE, Pipeline, type Exchange } from './pipeline.ts';
import { FIRST_VALUE_ONLY, HEAD_HEADER_NAMES, splitTarget, type HeadHeaders, type RequestHead } from './request.ts';

/** At ~50 us a route, an answer waits at most ~3 ms for the others of its slice. */
const SLICE = 64;
const READ: ReadonlySet<string> = new Set(HEAD_HEADER_NAMES);
/** Only names of these lengths can matter, so most headers are skipped without lower-casing. */
const NAME_LENGTHS: ReadonlySet<number> = new Set(HEAD_HEADER_NAMES.map((n) => n.length));

/** The headers the pipeline reads, from the raw list, with Node's rules for repeats. */
export function headHeaders(raw: readonly string[]): HeadHeaders {
  const h: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (!NAME_LENGTHS.has(name.length)) continue;
    const lower = name.toLowerCase();
    if (!READ.has(lower)) continue;
    const previous = h[lower];
    if (previous === undefined) h[lower] = raw[i + 1];
    else if (!FIRST_VALUE_ONLY.has(lower)) h[lower] = `${previous}, ${raw[i + 1]}`;
  }
  return h;
}

function hasBody(head: RequestHead): boolean {
  const length = head.headers['content-length'];
  return head.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function headOf(req: IncomingMessage): RequestHead {
  const { path, query } = splitTarget(req.url ?? '/');
  return { method: req.method ?? 'GET', path, query, headers: headHeaders(req.rawHeaders), remoteAddress: req.socket.remoteAddress };
}

/** One request in flight, from its head to its answer. */
class InFlight {
  private chunks: Buffer[] = [];
  private bytes = 0;
  /** The body's bytes, taken from the server's budget as they arrive. */
  private readonly lease: BodyLease;
  outcome: Outcome | undefined;
  done = false;

  constructor(
    private readonly server: OperatorServer,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly exchange: Exchange,
  ) {
    this.lease = server.budget.lease();
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    this.bytes += chunk.length;
    if (this.bytes > MAX_REQUEST_BODY_SIZE) return this.refuse(413);
    if (!this.lease.take(chunk.length)) return this.refuse(503);
    this.chunks.push(chunk);
  }

  onEnd(): void {
    if (!this.done) this.server.enqueue(this);
  }

  /** The response closed (answered, or the connection went away first): the body's bytes are given back. */
  onClose(): void {
    this.release();
  }

  /** Runs the pipeline's remaining steps; an asynchronous answer is written when it settles. */
  run(): void {
    const { chunks } = this;
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    this.release();
    const outcome = this.server.pipeline.complete(this.exchange, body);
    if (outcome instanceof Promise) void outcome.then((o) => this.server.answer(this, o, false));
    else this.outcome = outcome;
  }

  private release(): void {
    this.lease.release();
    this.chunks = [];
  }

  /** Over a body limit: answered now and closed; the rest of the body is not read. */
  private refuse(code: 413 | 503): void {
    this.release();
    this.server.answer(this, reasonOutcome(code), true);
  }
}

export interface OperatorServerOptions {
  readonly pipeline: Pipeline;
  readonly limits: ServerLimits;
  readonly logger: Logger;
}

export class OperatorServer {
  readonly server: Server;
  readonly pipeline: Pipeline;
  readonly budget: BodyBudget;
  private readonly logger: Logger;
  private queue: InFlight[] = [];
  private draining = false;
  /** Connections that have not sent a request yet (Node's idle list holds only used ones). */
  private readonly unused = new Set<Socket>();

  constructor(o: OperatorServerOptions) {
    this.pipeline = o.pipeline;
    this.logger = o.logger;
    const { limits } = o;
    this.budget = new BodyBudget(limits.maxBufferedBodyBytes);
    this.server = createServer(nodeServerOptions(limits), (req, res) => this.take(req, res));
    applyServerLimits(this.server, limits);
    this.server.on('connection', (socket: Socket) => {
      this.unused.add(socket);
      socket.once('close', () => this.unused.delete(socket));
    });
  }

  listen(port: number, host: string, reusePort = false): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host, reusePort }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  private take(req: IncomingMessage, res: ServerResponse): void {
    this.unused.delete(req.socket);
    const exchange = this.pipeline.begin(headOf(req));
    const flight = new InFlight(this, req, res, exchange);
    if (exchange.early !== undefined) {
      // Decided on the head: the body is never read, so a request that has one is closed once
      // answered rather than its unread bytes waited for (an unauthenticated sender costs nothing).
      this.answer(flight, exchange.early, hasBody(exchange.head));
      return;
    }
    req.on('data', (chunk: Buffer) => flight.onData(chunk));
    req.on('end', () => flight.onEnd());
    res.on('close', () => flight.onClose());
  }

  enqueue(flight: InFlight): void {
    if (this.queue.push(flight) === 1) setImmediate(this.answerQueued);
  }

  /** Every queued request's steps first, then every synchronous answer's write, slice by slice. */
  private readonly answerQueued = (): void => {
    const batch = this.queue;
    this.queue = [];
    for (let start = 0; start < batch.length; start += SLICE) {
      const end = Math.min(batch.length, start + SLICE);
      for (let i = start; i < end; i++) batch[i].run();
      for (let i = start; i < end; i++) {
        const f = batch[i];
        if (f.outcome !== undefined) this.answer(f, f.outcome, false);
      }
    }
  };

  /**
   * Writes the answer once and observes it. An answer that cannot be written (a bug, not bad
   * input) is logged without its content and only its own connection is closed.
   */
  answer(flight: InFlight, outcome: Outcome, close: boolean): void {
    if (flight.done) return;
    flight.done = true;
    const { res, exchange } = flight;
    try {
      const { answer } = outcome;
      const headers = Pipeline.extraHeaders(exchange.head, answer);
      if (answer.contentType !== '') {
        const length = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.length;
        headers.push('content-type', answer.contentType, 'content-length', String(length));
      }
      if (close || this.draining || this.pipeline.isClosing) headers.push('connection', 'close');
      // An answer before the whole body was read (401 on the head, 413, 503 over the budget): once
      // written, the socket goes, so Node does not go on reading the body just to discard it.
      if (close && !flight.req.complete) res.once('finish', () => flight.req.socket.destroy());
      res.writeHead(answer.statusCode, headers);
      res.end(answer.body);
    } catch (err) {
      this.logger.error({ path: exchange.head.path, error: err instanceof Error ? err.message : String(err) }, 'the answer could not be written');
      res.destroy();
      return;
    }
    this.pipeline.observe(exchange, outcome, performance.now() - exchange.startedMs);
  }

  /**
   * Stops taking connections and lets the open ones finish: each is closed after its next answer,
   * and idle ones at once. Resolves when every connection has closed, or after `graceMs`, when
   * the pipeline answers 503 and the rest are closed.
   */
  async close(graceMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    for (const socket of this.unused) socket.destroy();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'grace'>((resolve) => (timer = setTimeout(() => resolve('grace'), graceMs)));
    const first = await Promise.race([closed, grace]);
    clearTimeout(timer);
    if (first === 'grace') {
      this.pipeline.close();
      this.server.closeAllConnections();
      await closed;
    }
  }
}
