/**
 * Operator checks of OptOut's routes, as Fastify `onRequest` hooks (they run before a byte of the
 * body is read, issue 14 §1), each failing with 401 `{"status":"unauthorized"}`:
 *
 * - the bearer operator key (operator-spec.md §2.1): it must exist, be enabled and hold one of
 *   the route's roles;
 * - its attestation, exactly as Core checks it on its metadata routes (attestation-azure.md
 *   §1.5, src/attestation/attestation-headers.ts): the `Attestation-Token` Core minted for this
 *   key (skipped for protocol `trusted`, as upstream), and the opt-out `Attestation-JWT` when
 *   `enforce_jwt` is on. Without Core's token keys no token can be checked, so only `trusted`
 *   keys pass.
 */
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { parseBearer, type KeyIndex, type OperatorRecord, type Role } from '../auth/index.ts';
import { verifyAttestationHeaders, type AttestationHeaderOptions } from '../attestation/attestation-headers.ts';
import { TRUSTED_PROTOCOL } from '../attestation/trusted-verifier.ts';
import { Unauthorized } from './optout-errors.ts';

interface Caller {
  readonly key: string;
  readonly record: OperatorRecord;
}

const callers = new WeakMap<FastifyRequest, Caller>();

export function requireOperatorRole(keys: () => KeyIndex<OperatorRecord>, roles: readonly Role[]): onRequestAsyncHookHandler {
  return async (request) => {
    const key = parseBearer(request.headers.authorization);
    const record = keys().authorize(key, roles);
    if (key === undefined || !record) throw new Unauthorized();
    callers.set(request, { key, record });
  };
}

/** What the attestation check needs; `options` undefined = no token keys configured. */
export interface OperatorAttestation {
  readonly options: AttestationHeaderOptions | undefined;
  readonly enforceJwt: boolean;
}

export function requireAttestation(attestation: OperatorAttestation, roles: readonly Role[]): onRequestAsyncHookHandler {
  return async (request) => {
    const caller = callers.get(request);
    if (!caller) throw new Unauthorized();
    const { options } = attestation;
    if (options === undefined) {
      // No token can be checked: only trusted keys, and only when no JWT is required.
      if (caller.record.protocol !== TRUSTED_PROTOCOL || attestation.enforceJwt) throw new Unauthorized();
      return;
    }
    const check = await verifyAttestationHeaders(request.headers, { key: caller.key, keyHash: caller.record.keyHash, protocol: caller.record.protocol }, roles, options);
    if (!check.ok) throw new Unauthorized();
  };
}

/** The hooks of a route open to attested operators holding one of `roles`. */
export function attestedOperator(keys: () => KeyIndex<OperatorRecord>, attestation: OperatorAttestation, roles: readonly Role[]): onRequestAsyncHookHandler[] {
  return [requireOperatorRole(keys, roles), requireAttestation(attestation, roles)];
}
