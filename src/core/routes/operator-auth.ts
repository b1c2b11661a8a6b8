/**
 * Bearer-key authentication of operators (upstream `AuthMiddleware` with operator keys) and the
 * attestation checks of metadata routes (`AttestationMiddleware`, src/attestation). Both fail with
 * 401 `{"status":"unauthorized"}`, as `onRequest` hooks: they run before a byte of the body is
 * read (issue 14 §1), and handlers only run for callers that passed.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { parseBearer, type OperatorRecord, type Role } from '../../auth/index.ts';
import { verifyAttestationHeaders, type AttestationHeaderOptions } from '../../attestation/attestation-headers.ts';
import type { OperatorDirectory } from '../operator-directory.ts';
import { Unauthorized } from '../core-errors.ts';

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

export function requireOperator(directory: OperatorDirectory, roles: readonly Role[]): onRequestAsyncHookHandler {
  return async (request) => {
    const key = parseBearer(request.headers.authorization);
    const record = directory.current.authorize(key, roles);
    if (key === undefined || record === undefined) throw new Unauthorized();
    callers.set(request, { key, record });
  };
}

export function requireAttestation(options: AttestationHeaderOptions, roles: readonly Role[]): onRequestAsyncHookHandler {
  return async (request) => {
    const { key, record } = callerOf(request);
    const check = await verifyAttestationHeaders(request.headers, { key, keyHash: record.keyHash, protocol: record.protocol }, roles, options);
    if (!check.ok) throw new Unauthorized();
  };
}
