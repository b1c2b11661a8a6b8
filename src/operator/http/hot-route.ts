/**
 * Hot routes (issue 6): routes whose whole request → answer step is one transport-free function,
 * so the same code serves them through fastify (`registerHotRoute`, used by `app.inject()` and by
 * requests the fast front passes on) and through the fast front on the operator's own
 * `node:http` server (fast-front.ts), which skips the framework's per-request machinery.
 *
 * Order of checks, as for fastify routes: authentication before the body is read (401 first,
 * spec §2.1), then the body, then the route; any throw becomes its catalogue answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { ClientRecord, Role } from '../../auth/index.ts';
import type { OperatorDeps } from '../deps.ts';
import type { ReplayChecker } from './cluster-replay-guard.ts';
import { errorAnswer, JSON_CONTENT_TYPE, type Answer } from './error-handler.ts';
import { rawBody } from './raw-body.ts';
import type { ErrorInfo, V2RequestState } from './request-context.ts';
import { authHook, type AuthRule } from './role-check.ts';
import { openV2Request, sealV2Response } from './v2-envelope.ts';

/** The request headers a hot route may read (the fast front reads only these from the raw list). */
export type ExchangeHeaders = Pick<IncomingHttpHeaders, 'content-type'>;

/** One buffered request and what the route learnt about it (for metrics and the log line). */
export interface Exchange {
  readonly headers: ExchangeHeaders;
  readonly body: Buffer;
  readonly client: ClientRecord | undefined;
  /** Site to report when the route knows it without an API key (refresh). */
  siteId: number | undefined;
}

export interface HotRoute {
  readonly url: string;
  /** Roles the API key must hold (401 otherwise), or `optional` (role-check.ts). */
  readonly auth: AuthRule;
  handle(exchange: Exchange): Answer | Promise<Answer>;
}

export interface Outcome {
  readonly answer: Answer;
  readonly errorInfo: ErrorInfo | undefined;
}

/** The catalogue answer of a thrown value (401 of a failed `authenticate` included). */
export function failedOutcome(deps: OperatorDeps, route: HotRoute, err: unknown): Outcome {
  const { errorInfo, ...answer } = errorAnswer(err, deps.logger, route.url);
  return { answer, errorInfo };
}

/** Runs the route; a throw (sync or async) becomes its catalogue answer. */
export function runHotRoute(deps: OperatorDeps, route: HotRoute, exchange: Exchange): Outcome | Promise<Outcome> {
  try {
    const answer = route.handle(exchange);
    if (answer instanceof Promise) {
      return answer.then(
        (a) => ({ answer: a, errorInfo: undefined }),
        (err: unknown) => failedOutcome(deps, route, err),
      );
    }
    return { answer, errorInfo: undefined };
  } catch (err) {
    return failedOutcome(deps, route, err);
  }
}

function sendOutcome(request: FastifyRequest, reply: FastifyReply, exchange: Exchange, o: Outcome): FastifyReply {
  // What the onResponse hooks log and count.
  request.siteId = exchange.siteId;
  request.errorInfo = o.errorInfo;
  return reply.code(o.answer.statusCode).header('content-type', o.answer.contentType).send(o.answer.body);
}

/** Registers a hot route on fastify: same function, fastify's body reading and hooks around it. */
export function registerHotRoute(app: FastifyInstance, deps: OperatorDeps, route: HotRoute): void {
  app.post(route.url, {
    // 401 before the body is read, as on every role-checked route.
    onRequest: authHook(deps, route.auth),
    handler: (request, reply) => {
      const exchange: Exchange = { headers: request.headers, body: rawBody(request.body), client: request.client, siteId: undefined };
      const outcome = runHotRoute(deps, route, exchange);
      return outcome instanceof Promise ? outcome.then((o) => sendOutcome(request, reply, exchange, o)) : sendOutcome(request, reply, exchange, outcome);
    },
  });
}

/**
 * A hot route inside the v2 envelope (spec §3): opens the request with the caller's secret,
 * runs `run` on the decrypted payload and seals its JSON reply — the steps the envelope hooks
 * perform for fastify's v2 routes (v2-envelope.ts).
 */
export function v2HotRoute(
  deps: OperatorDeps,
  replayGuard: ReplayChecker,
  url: string,
  roles: readonly Role[],
  /** The reply body's JSON text for the decrypted payload. */
  run: (payload: Record<string, unknown>, client: ClientRecord) => string,
): HotRoute {
  const answer = (state: V2RequestState, client: ClientRecord): Answer => {
    const json = run(state.payload ?? {}, client);
    const sealed = sealV2Response(deps, state, json);
    return sealed ? { statusCode: 200, ...sealed } : { statusCode: 200, contentType: JSON_CONTENT_TYPE, body: json };
  };
  return {
    url,
    auth: roles,
    handle(exchange) {
      // Role-checked: authentication has answered 401 already when there is no client.
      const client = exchange.client!;
      const state = openV2Request(deps, replayGuard, client, exchange.body, exchange.headers['content-type']);
      return state instanceof Promise ? state.then((s) => answer(s, client)) : answer(state, client);
    },
  };
}
