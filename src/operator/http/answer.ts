/**
 * What the operator answers, whatever route or transport: an `Answer` (status, content type,
 * body), and the one mapping of a thrown value to its answer (style.md §5 "Errors"): catalogue
 * errors become `{"status","message"}` with their HTTP code; anything else is logged (class and
 * message only) and answered 500 without details. Transport-level refusals (404, 413, 503, ...)
 * are the plain-text reason phrase, as upstream's `GenericFailureHandler` writes them (spec §1).
 */
import type { Logger } from 'pino';
import { OperatorError } from '../errors.ts';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A finished reply. */
export interface Answer {
  readonly statusCode: number;
  /** '' for an answer without a body (a preflight's 204). */
  readonly contentType: string;
  readonly body: string | Buffer;
  /** More headers, as name, value pairs. */
  readonly headers?: readonly string[];
}

/** What the log line of an error answer names (never request data). */
export interface ErrorInfo {
  readonly status: string;
  readonly message: string | undefined;
}

export interface Outcome {
  readonly answer: Answer;
  readonly errorInfo: ErrorInfo | undefined;
}

const REASON: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const STATUS_OF: Record<number, string> = { 404: 'not_found', 500: 'unknown', 503: 'unavailable' };

/** The plain-text answer of a refusal made before any route ran (unknown route, body too large, closing). */
export function reasonOutcome(code: number): Outcome {
  const reason = REASON[code] ?? 'Bad Request';
  return { answer: { statusCode: code, contentType: 'text/plain', body: reason }, errorInfo: { status: STATUS_OF[code] ?? 'client_error', message: reason } };
}

export function isAnswer(value: unknown): value is Answer {
  return typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && 'statusCode' in value;
}

/** Maps any thrown value to its answer; unexpected errors are logged (class and message only). */
export function errorOutcome(err: unknown, logger: Logger, path: string): Outcome {
  if (err instanceof OperatorError) {
    return {
      answer: { statusCode: err.httpCode, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(err.toBody()) },
      errorInfo: { status: err.status, message: err.detail },
    };
  }
  const e = err as Partial<Error & { code: unknown }>;
  // Only the error's class and message: never request data, keys or tokens.
  logger.error({ err: { type: e?.name, code: e?.code, message: e?.message, stack: e?.stack }, path }, 'unexpected error');
  return reasonOutcome(500);
}
