/**
 * The one error the SDK throws for a failed call. It keeps what the operator said: the HTTP status
 * and, when the body was the plain `{"status","message"}` JSON of spec §3.3, the upstream status
 * string and message. Transport failures (connection refused) carry `httpStatus` 0.
 */
export class Uid2ClientError extends Error {
  readonly httpStatus: number;
  readonly status: string | undefined;
  readonly upstreamMessage: string | undefined;

  constructor(httpStatus: number, status: string | undefined, upstreamMessage: string | undefined, options?: { cause?: unknown }) {
    const detail = [status, upstreamMessage].filter((x) => x !== undefined).join(': ');
    super(`UID2 operator answered HTTP ${httpStatus}${detail ? ` (${detail})` : ''}`, options);
    this.name = 'Uid2ClientError';
    this.httpStatus = httpStatus;
    this.status = status;
    this.upstreamMessage = upstreamMessage;
  }

  /** Builds the error from a non-2xx answer, reading `{"status","message"}` when the body is that JSON. */
  static fromResponse(httpStatus: number, bodyText: string): Uid2ClientError {
    try {
      const body = JSON.parse(bodyText) as { status?: unknown; message?: unknown };
      return new Uid2ClientError(
        httpStatus,
        typeof body.status === 'string' ? body.status : undefined,
        typeof body.message === 'string' ? body.message : undefined,
      );
    } catch {
      return new Uid2ClientError(httpStatus, undefined, bodyText.length > 0 ? bodyText.slice(0, 200) : undefined);
    }
  }
}
