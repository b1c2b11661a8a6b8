/**
 * Bearer-key authentication of operators (upstream `AuthMiddleware` with operator keys) and the
 * attestation checks of metadata routes (`AttestationMiddleware`, src/attestation). Both answer
 * 401 `{"status":"unauthorized"}` on failure, as a preHandler, so handlers only run for callers
 * that passed.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { parseBearer, type OperatorRecord, type Role } from '../../auth/index.ts';
import { verifyAttestationHeaders, type AttestationHeaderOptions } from '../../attestation/attestation-headers.ts';
import type { OperatorDirectory } from '../operator-directory.ts';
import { UNAUTHORIZED } from '../attest-failure.ts';

export interface AuthenticatedOperator {
  readonly key: string;
  readonly record: OperatorRecord;
}

const callers = new WeakMap<FastifyRequest, AuthenticatedOperator>();

/** The operator a preHandler authenticated for this request. */
export function callerOf(request: FastifyRequest): AuthenticatedOperator {
  const caller = callers.get(request);
  if (!caller) throw new Error('route is missing its authentication preHandler');
  return caller;
}

async function deny(reply: FastifyReply): Promise<void> {
  await reply.code(UNAUTHORIZED.code).send(UNAUTHORIZED.body);
}

export function requireOperator(directory: OperatorDirectory, roles: readonly Role[]): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const key = parseBearer(request.headers.authorization);
    const record = directory.current.authorize(key, roles);
    if (key === undefined || record === undefined) return deny(reply);
    callers.set(request, { key, record });
  };
}

export function requireAttestation(options: AttestationHeaderOptions, roles: readonly Role[]): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    const { key, record } = callerOf(request);
    const check = await verifyAttestationHeaders(request.headers, { key, keyHash: record.keyHash, protocol: record.protocol }, roles, options);
    if (!check.ok) return deny(reply);
  };
}
