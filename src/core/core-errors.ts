/**
 * Core's error catalogue (upstream `CoreVerticle`, spec attestation-azure.md §2.1 and
 * operator-spec.md §12.2), built like the operator's (src/errors/service-error.ts): each family
 * has a `code`, an HTTP code, the upstream `status` string and, where upstream sends one, the
 * exact message. Core's bodies are `{"status"}` or `{"status","message"}`; `/attest` puts its
 * reason in `status`, as upstream does. One error handler (`app.ts`) answers them all.
 */
import type { AttestationFailure } from '../attestation/types.ts';
import { ServiceError, errorFactory } from '../errors/service-error.ts';
import { FAILURE_EXPLANATIONS, SERVER_SIDE_FAILURES } from './attest-failure.ts';

export abstract class CoreError extends ServiceError<string> {}

const defineError = errorFactory<string, CoreError>(CoreError);

/** A bad, unknown or disabled operator key, a missing role, or a failed attestation check (401, no message). */
export const Unauthorized = defineError('unauthorized', 401, 'Unauthorized');

// `/attest` (spec attestation-azure.md §2.1)
export const AttestBodyNotJson = defineError('request body is not a valid json', 400, 'AttestBodyNotJson');
export const AttestRequestMissing = defineError('no attestation_request attached', 400, 'AttestRequestMissing');
/** Upstream lets a bad base64 escape as an exception (a bare 500); the operator's input is at fault. */
export const AttestBadEncoding = defineError('attestation failure', 400, 'AttestBadEncoding', FAILURE_EXPLANATIONS.BAD_FORMAT);
export const ProtocolNotFound = defineError('protocol not found', 403, 'ProtocolNotFound');
export const InvalidOperatorType = defineError('attestation failure; invalid operator type', 403, 'InvalidOperatorType');
export const VerifierCrashed = defineError('attestation failure', 500, 'VerifierCrashed');
/** Typically a `public_key` that is not an RSA SPKI: upstream answers the same 500. */
export const AttestInternalError = defineError('attestation failure', 500, 'AttestInternalError', FAILURE_EXPLANATIONS.INTERNAL_ERROR);

/** A verifier's rejection: `status` is its detail (or the explanation), `message` the explanation. */
export class AttestationRejected extends CoreError {
  readonly code = 'ERR_ATTESTATION_REJECTED';
  readonly status: string;
  readonly httpCode: number;

  constructor(failure: AttestationFailure, detail?: string) {
    const message = FAILURE_EXPLANATIONS[failure] ?? FAILURE_EXPLANATIONS.UNKNOWN;
    super(message);
    this.name = 'AttestationRejected';
    this.status = detail ?? message;
    this.httpCode = SERVER_SIDE_FAILURES.has(failure) ? 500 : 403;
  }
}

// metadata routes (operator-spec.md §12.2)
/** `endpoint <url> is for public operators only`. */
export const PublicOperatorsOnly = defineError('error', 403, 'PublicOperatorsOnly');
/** `error processing <store> refresh`. */
export const RefreshFailed = defineError('error', 500, 'RefreshFailed');
export const RuntimeConfigUnavailable = defineError('error', 500, 'RuntimeConfigUnavailable', 'Failed to retrieve configuration');

// transport
/** A request the framework refused (413 body too large, malformed): its own 4xx code. */
export class RequestRejected extends CoreError {
  readonly code = 'ERR_REQUEST_REJECTED';
  readonly status = 'error';

  constructor(readonly httpCode: number) {
    super('bad request');
    this.name = 'RequestRejected';
  }
}

/** Request bodies in flight exceed the buffer budget (src/http/body-budget.ts). */
export const ServiceBusy = defineError('error', 503, 'ServiceBusy', 'Service busy: too many request bodies in flight; retry later.');
/** Anything unexpected: logged, answered without detail. */
export const InternalError = defineError('error', 500, 'InternalError');

/** Every family, for the catalogue test. */
export const CORE_ERROR_FAMILIES = [
  Unauthorized,
  AttestBodyNotJson,
  AttestRequestMissing,
  AttestBadEncoding,
  ProtocolNotFound,
  InvalidOperatorType,
  VerifierCrashed,
  AttestInternalError,
  AttestationRejected,
  PublicOperatorsOnly,
  RefreshFailed,
  RuntimeConfigUnavailable,
  RequestRejected,
  ServiceBusy,
  InternalError,
] as const;
