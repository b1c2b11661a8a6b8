/**
 * Bearer authentication and role check (spec §2.1). Used as a route's `onRequest` hook so that
 * an unauthorized request is answered 401 before its body is read or decrypted.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { parseBearer, type Role } from '../../auth/index.ts';
import type { OperatorDeps } from '../deps.ts';
import { Unauthorized } from '../errors.ts';

/** Callback style, not async: no promise per request on the hot path (issue 6). */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void;

/** The client must exist, be enabled and hold at least one of `roles`, else 401 `{"status":"unauthorized"}`. */
export function requireRole(deps: OperatorDeps, ...roles: Role[]): AuthHook {
  return (request, _reply, done) => {
    const key = parseBearer(request.headers.authorization);
    const client = deps.stores.clients.current().index.authorize(key, roles);
    if (!client) return done(new Unauthorized());
    request.client = client;
    done();
  };
}

/** `/v2/token/refresh`: a valid enabled key is recorded but not required (spec §4.3). */
export function optionalAuth(deps: OperatorDeps): AuthHook {
  return (request, _reply, done) => {
    const key = parseBearer(request.headers.authorization);
    const client = key === undefined ? undefined : deps.stores.clients.current().index.lookup(key);
    request.client = client && !client.disabled ? client : undefined;
    done();
  };
}
