/**
 * Bearer operator-key check as a Fastify `preHandler` (operator-spec.md §2.1): the key must exist,
 * be enabled and hold one of the route's roles, else 401 `{"status":"unauthorized"}`. The
 * authenticated record is left on the request for later hooks (e.g. an attestation check).
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { parseBearer, type KeyIndex, type OperatorRecord, type Role } from '../auth/index.ts';

const operatorOf = new WeakMap<FastifyRequest, OperatorRecord>();

/** The operator authenticated by `requireOperatorRole` for this request. */
export function authenticatedOperator(request: FastifyRequest): OperatorRecord | undefined {
  return operatorOf.get(request);
}

export function sendUnauthorized(reply: FastifyReply): FastifyReply {
  return reply.code(401).type('application/json').send({ status: 'unauthorized' });
}

export function requireOperatorRole(keys: () => KeyIndex<OperatorRecord>, roles: readonly Role[]): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const record = keys().authorize(parseBearer(request.headers.authorization), roles);
    if (!record) return sendUnauthorized(reply);
    operatorOf.set(request, record);
  };
}
