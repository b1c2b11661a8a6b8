/**
 * Bearer authentication and role check (spec §2.1). Used as a route's `onRequest` hook so that
 * an unauthorized request is answered 401 before its body is read or decrypted; the hot routes'
 * fast front calls `authenticate` at the same point (fast-front.ts).
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { parseBearer, type ClientRecord, type Role } from '../../auth/index.ts';
import type { OperatorDeps } from '../deps.ts';
import { Unauthorized } from '../errors.ts';

/** Callback style, not async: no promise per request on the hot path (issue 6). */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** Roles the API key must hold, or `optional` (`/v2/token/refresh`: a valid enabled key is recorded but not required, spec §4.3). */
export type AuthRule = readonly Role[] | 'optional';

/**
 * The caller's client: `undefined` without one (optional auth), `false` when the request must be
 * answered 401 `{"status":"unauthorized"}` (no key, unknown, disabled, or none of the roles).
 */
export function authenticate(deps: OperatorDeps, rule: AuthRule, authorization: string | undefined): ClientRecord | undefined | false {
  const key = parseBearer(authorization);
  const index = deps.stores.clients.current().index;
  if (rule === 'optional') {
    const client = key === undefined ? undefined : index.lookup(key);
    return client && !client.disabled ? client : undefined;
  }
  return index.authorize(key, rule) ?? false;
}

/** The `onRequest` hook of a route with `rule`. */
export function authHook(deps: OperatorDeps, rule: AuthRule): AuthHook {
  return (request, _reply, done) => {
    const client = authenticate(deps, rule, request.headers.authorization);
    if (client === false) return done(new Unauthorized());
    request.client = client;
    done();
  };
}

/** The client must exist, be enabled and hold at least one of `roles`. */
export function requireRole(deps: OperatorDeps, ...roles: Role[]): AuthHook {
  return authHook(deps, roles);
}
