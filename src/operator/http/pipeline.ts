/**
 * The operator's request pipeline (issue 15): every route, whatever carries the request, goes
 * through this one sequence, written here once.
 *
 * | step            | where            | answers                                              |
 * | parse           | the transport    | (server.ts: request line and headers into a head)    |
 * | preflight, route| `begin`          | 204 CORS preflight, 404 unknown route, 503 closing    |
 * | authenticate    | `begin`          | 401, before any body byte is read (spec §2.1)        |
 * | size            | `begin`          | 413 for a declared body over 1 MiB (spec §1)         |
 * | open            | `complete`       | the route's body form: v2 envelope (and its replay   |
 * |                 |                  | check), refresh token, CSTG JSON, none               |
 * | route           | `complete`       | the route's function of payload, caller, store view  |
 * | seal            | `complete`       | the body form seals a 200 reply                      |
 * | catalogue       | `complete`       | any throw becomes its catalogue answer (answer.ts)   |
 * | observe         | `observe`        | metrics, client versions, the error log line         |
 *
 * Each request reads the store view once, in `begin`, before authentication: the client, the
 * keys and the salts it is answered from are one version. `handle` runs the whole sequence for a
 * request already in memory (tests, the fuzzer); the HTTP server calls the steps itself, so that
 * it reads a body only after `begin` accepted the head.
 */
import type { ClientRecord } from '../../auth/index.ts';
import type { OperatorDeps } from '../deps.ts';
import { Unauthorized } from '../errors.ts';
import type { StoreView } from '../stores/operator-stores.ts';
import { errorOutcome, isAnswer, reasonOutcome, type Answer, type Outcome } from './answer.ts';
import type { ClientVersionMetrics } from './client-version.ts';
import { corsHeaders, isPreflight, preflightAnswer } from './cors.ts';
import { observeResponse } from './observe.ts';
import type { ReplayChecker } from './replay-guard.ts';
import type { OperatorRequest, RequestHead } from './request.ts';
import { authenticate } from './role-check.ts';
import type { OpenedBody, RouteInput, RouteReply, RouteSpec } from './route.ts';

/** Request bodies over 1 MiB are refused with 413 (spec §1, upstream `MAX_REQUEST_BODY_SIZE`). */
export const MAX_REQUEST_BODY_SIZE = 1 << 20;

export interface PipelineOptions {
  readonly deps: OperatorDeps;
  readonly routes: readonly RouteSpec[];
  readonly replay: ReplayChecker;
  readonly clientVersions: ClientVersionMetrics;
}

/** One request the pipeline has seen the head of: what finishing and observing it needs. */
export class Exchange {
  /** Site to report when the route knows it without an API key (refresh, CSTG). */
  siteId: number | undefined;

  constructor(
    readonly head: RequestHead,
    readonly route: RouteSpec | undefined,
    readonly view: StoreView | undefined,
    readonly client: ClientRecord | undefined,
    readonly startedMs: number,
    /** Set when the head alone decided the answer: no body is read. */
    readonly early: Outcome | undefined,
  ) {}
}

export class Pipeline {
  private readonly deps: OperatorDeps;
  private readonly routes = new Map<string, RouteSpec>();
  private closing = false;

  constructor(private readonly o: PipelineOptions) {
    this.deps = o.deps;
    for (const route of o.routes) this.routes.set(route.path, route);
  }

  /** From now on every request is answered 503 (readiness first, while the server drains). */
  close(): void {
    this.closing = true;
  }

  get isClosing(): boolean {
    return this.closing;
  }

  /** The route serving `head`, HEAD included for GET routes; undefined for 404. */
  private routeOf(head: RequestHead): RouteSpec | undefined {
    const route = this.routes.get(head.path);
    if (route === undefined) return undefined;
    return route.method === head.method || (route.method === 'GET' && head.method === 'HEAD') ? route : undefined;
  }

  /** The steps decided on the request head: preflight, route, closing, authentication, size. */
  begin(head: RequestHead): Exchange {
    const started = performance.now();
    const route = this.routeOf(head);
    const early = (outcome: Outcome) => new Exchange(head, route, undefined, undefined, started, outcome);
    if (isPreflight(head)) return early({ answer: preflightAnswer(head), errorInfo: undefined });
    if (this.closing) return early(reasonOutcome(503));
    if (route === undefined) return early(reasonOutcome(404));
    const view = this.deps.stores.view();
    const client = authenticate(view.clients, route.auth, head.headers.authorization);
    if (client === false) return early(errorOutcome(new Unauthorized(), this.deps.logger, head.path));
    if (Number(head.headers['content-length'] ?? 0) > MAX_REQUEST_BODY_SIZE) return new Exchange(head, route, view, client, started, reasonOutcome(413));
    return new Exchange(head, route, view, client, started, undefined);
  }

  /** The steps on the whole body: open, route, seal; any throw becomes its catalogue answer. */
  complete(x: Exchange, body: Buffer): Outcome | Promise<Outcome> {
    if (x.early !== undefined) return x.early;
    try {
      const route = x.route!;
      const opened = route.body.open({ deps: this.deps, replay: this.o.replay, head: x.head, view: x.view!, client: x.client, body });
      if (opened instanceof Promise) return opened.then((o) => this.run(x, o), (err: unknown) => this.failed(x, err));
      return this.run(x, opened);
    } catch (err) {
      return this.failed(x, err);
    }
  }

  /** Route, then seal. */
  private run(x: Exchange, opened: OpenedBody<unknown>): Outcome | Promise<Outcome> {
    const input: RouteInput<unknown> = { deps: this.deps, view: x.view!, client: x.client, payload: opened.payload, opened, head: x.head, siteId: undefined };
    try {
      const reply = x.route!.handle(input);
      if (reply instanceof Promise) return reply.then((r) => this.seal(x, input, r), (err: unknown) => this.failed(x, err, input));
      return this.seal(x, input, reply);
    } catch (err) {
      return this.failed(x, err, input);
    }
  }

  private seal(x: Exchange, input: RouteInput<unknown>, reply: RouteReply): Outcome {
    x.siteId = input.siteId;
    try {
      return { answer: isAnswer(reply) ? reply : input.opened.seal(reply), errorInfo: undefined };
    } catch (err) {
      return this.failed(x, err, input);
    }
  }

  private failed(x: Exchange, err: unknown, input?: RouteInput<unknown>): Outcome {
    if (input !== undefined) x.siteId = input.siteId;
    return errorOutcome(err, this.deps.logger, x.head.path);
  }

  /** The last step: metrics, client versions and the error log line. */
  observe(x: Exchange, outcome: Outcome, elapsedMs: number): void {
    const { metrics, logger } = this.deps;
    observeResponse(metrics, logger, {
      head: x.head,
      route: x.route?.path,
      statusCode: outcome.answer.statusCode,
      elapsedMs,
      siteId: x.client?.siteId ?? x.siteId,
      apiContact: x.client?.contact,
      errorInfo: outcome.errorInfo,
    });
    this.o.clientVersions.record(x.head, x.client?.contact);
  }

  /** The whole sequence for a request in memory; the answer's headers include CORS. */
  async handle(request: OperatorRequest): Promise<Outcome> {
    const x = this.begin(request);
    const outcome = await this.complete(x, request.body);
    this.observe(x, outcome, performance.now() - x.startedMs);
    return outcome;
  }

  /** Every header an answer carries besides the content ones: CORS for a request with an Origin. */
  static extraHeaders(head: RequestHead, answer: Answer): string[] {
    const cors = corsHeaders(head);
    return answer.headers === undefined ? cors : [...cors, ...answer.headers];
  }
}
