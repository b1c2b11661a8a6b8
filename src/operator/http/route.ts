/**
 * What a route is (issue 15): a plain function of the request payload, the caller and one store
 * view to a reply, registered in the route table (routes/index.ts) with its method, path, roles
 * and body form. The request pipeline (pipeline.ts) does everything around it.
 *
 * A body form turns the request body into the route's payload (`open`: the v2 envelope, a refresh
 * token, CSTG's JSON, nothing) and the route's JSON reply into the answer (`seal`). A route may
 * also return a complete `Answer` (the health check's text, say), which is sent as it is.
 */
import type { ClientRecord, Role } from '../../auth/index.ts';
import type { OperatorDeps } from '../deps.ts';
import type { StoreView } from '../stores/operator-stores.ts';
import type { Answer } from './answer.ts';
import type { ReplayChecker } from './replay-guard.ts';
import type { RequestHead } from './request.ts';

/** Roles the API key must hold (401 otherwise), `optional` (refresh: a valid key is noted), or `none`. */
export type AuthRule = readonly Role[] | 'optional' | 'none';

/** What `open` receives. */
export interface BodyInput {
  readonly deps: OperatorDeps;
  readonly replay: ReplayChecker;
  readonly head: RequestHead;
  readonly view: StoreView;
  readonly client: ClientRecord | undefined;
  readonly body: Buffer;
}

/** An opened body: the route's payload, and how its 200 reply is sealed. */
export interface OpenedBody<P> {
  readonly payload: P;
  seal(json: string | Buffer): Answer;
}

export interface BodyForm<P> {
  open(input: BodyInput): OpenedBody<P> | Promise<OpenedBody<P>>;
}

/** What a route reads. */
export interface RouteInput<P> {
  readonly deps: OperatorDeps;
  readonly view: StoreView;
  /** The authenticated caller: always set on role-checked routes. */
  readonly client: ClientRecord | undefined;
  readonly payload: P;
  /** The opened body (a CSTG route sets the key its reply is sealed with). */
  readonly opened: OpenedBody<P>;
  readonly head: RequestHead;
  /** The site to report in metrics and the log line, when the route knows it without an API key. */
  siteId: number | undefined;
}

/** A 200 reply's JSON, sealed by the body form, or a complete answer. */
export type RouteReply = string | Buffer | Answer;

export interface RouteSpec<P = unknown> {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly auth: AuthRule;
  readonly body: BodyForm<P>;
  handle(input: RouteInput<P>): RouteReply | Promise<RouteReply>;
}

/** A route of the table, typed by its body form's payload. */
export function defineRoute<P>(spec: RouteSpec<P>): RouteSpec {
  return spec as unknown as RouteSpec;
}

/** The caller of a role-checked route (authentication has answered 401 when there is none). */
export function callerOf(input: RouteInput<unknown>): ClientRecord {
  const client = input.client;
  if (client === undefined) throw new Error('role-checked route without an authenticated client');
  return client;
}

/** The form of a route that reads no body (GET). */
export const noBody: BodyForm<undefined> = {
  open: () => NO_BODY,
};

const NO_BODY: OpenedBody<undefined> = {
  payload: undefined,
  seal: (json) => ({ statusCode: 200, contentType: 'application/json; charset=utf-8', body: json }),
};
