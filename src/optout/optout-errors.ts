/**
 * OptOut's error catalogue, built like the operator's and Core's (src/errors/service-error.ts).
 * Bodies are `{"status"}` (upstream `OptOutServiceVerticle` answers bare statuses) or
 * `{"status","message"}`; one error handler (`optout-app.ts`) answers them all.
 */
import { ServiceError, errorFactory } from '../errors/service-error.ts';

export type OptOutStatus = 'unauthorized' | 'client_error' | 'unknown';

export abstract class OptOutError extends ServiceError<OptOutStatus> {}

const defineError = errorFactory<OptOutStatus, OptOutError>(OptOutError);

/** A bad, unknown or disabled operator key, a missing role, or a failed attestation check. */
export const Unauthorized = defineError('unauthorized', 401, 'Unauthorized');
/** A malformed replicate request (parameters, body). */
export const ClientError = defineError('client_error', 400, 'ClientError');

/** A request the framework refused (413 body too large, malformed): its own 4xx code. */
export class RequestRejected extends OptOutError {
  readonly code = 'ERR_REQUEST_REJECTED';
  readonly status = 'client_error';

  constructor(readonly httpCode: number) {
    super();
    this.name = 'RequestRejected';
  }
}

/** Request bodies in flight exceed the buffer budget (src/http/body-budget.ts). */
export const ServiceBusy = defineError('unknown', 503, 'ServiceBusy', 'Service busy: too many request bodies in flight; retry later.');
/** Anything unexpected: logged, answered without detail. */
export const InternalError = defineError('unknown', 500, 'InternalError');

/** Every family, for the catalogue test. */
export const OPTOUT_ERROR_FAMILIES = [Unauthorized, ClientError, RequestRejected, ServiceBusy, InternalError] as const;
