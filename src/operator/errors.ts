/**
 * The operator's one error catalogue (style.md §5 "Errors"; spec §3.3 statuses, upstream
 * `ResponseUtil`). A failure family is a class made by `defineError`; its instances carry the
 * upstream status string, the HTTP code and the exact upstream message. A single error handler
 * turns them into `{"status", "message"}`. Soft outcomes (`optout`, `insufficient_user_consent`)
 * are 200 replies, not errors.
 */
import { ServiceError, errorCode, errorFactory } from '../errors/service-error.ts';

export type OperatorStatus =
  | 'unauthorized'
  | 'client_error'
  | 'invalid_token'
  | 'expired_token'
  | 'error'
  | 'invalid_client'
  | 'unknown'
  | 'invalid_http_origin'
  | 'invalid_app_name';

/** Base of the operator's families (src/errors/service-error.ts: `code`, `status`, `httpCode`, `toBody`). */
export abstract class OperatorError extends ServiceError<OperatorStatus> {}

/**
 * Makes a failure family (its `code` is `ERR_` + the name in capitals). `fixedMessage` is the
 * message of a family that always says the same thing (e.g. the replay guard's), so its
 * instances are thrown without arguments.
 */
export const defineError = errorFactory<OperatorStatus, OperatorError>(OperatorError);

export const ClientError = defineError('client_error', 400, 'ClientError');
export const Unauthorized = defineError('unauthorized', 401, 'Unauthorized');
export const InvalidToken = defineError('invalid_token', 400, 'InvalidToken');
export const ExpiredToken = defineError('expired_token', 400, 'ExpiredToken');
export const GenericError = defineError('error', 400, 'GenericError');
export const InvalidClient = defineError('invalid_client', 401, 'InvalidClient');
export const InvalidHttpOrigin = defineError('invalid_http_origin', 403, 'InvalidHttpOrigin');
export const InvalidAppName = defineError('invalid_app_name', 403, 'InvalidAppName');
export const UnknownError = defineError('unknown', 500, 'UnknownError');

/** Every family, for the catalogue test. */
export const ERROR_FAMILIES = [ClientError, Unauthorized, InvalidToken, ExpiredToken, GenericError, InvalidClient, InvalidHttpOrigin, InvalidAppName, UnknownError] as const;

/** Exact upstream messages used by more than one route (spec §4, §9). */
export const Messages = {
  noActiveKey: 'No active encryption key available',
  invalidIdentifier: 'Invalid Identifier',
  exactlyOneIdentity: (phone: boolean) =>
    phone
      ? 'Required Parameter Missing: exactly one of [email, email_hash, phone, phone_hash] must be specified'
      : 'Required Parameter Missing: exactly one of email or email_hash must be specified',
  invalidToken: 'Invalid token',
  unauthorisedToValidate: 'Unauthorised to validate token',
  errorRefreshingToken: 'Error refreshing token',
  invalidTokenPresented: 'Invalid Token presented',
  expiredTokenPresented: 'Expired Token presented',
  userConsentInvalid: 'User consent is invalid',
  invalidPayload: 'Invalid payload in body: Data is not valid json string.',
  /** Logout when the OptOut service does not take the opt-out (upstream: a bare 500). */
  optOutWriteFailed: 'Unknown error while writing the opt-out',
} as const;

/** 500 when no master/site/refresh key is active (spec §4.1). */
export class NoActiveKey extends UnknownError {
  override readonly code = errorCode('NoActiveKey');

  constructor() {
    super(Messages.noActiveKey);
    this.name = 'NoActiveKey';
  }
}
