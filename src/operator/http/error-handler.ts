/**
 * The single error handler (style.md §5 "Errors"): catalogue errors become
 * `{"status","message"}` with their HTTP code; framework 4xx (413 body too large, malformed
 * requests) keep their code; anything else is logged and answered 500 without details.
 * Unknown routes answer 404 (spec §1). `errorAnswer` is the one mapping, shared by fastify's
 * error handler and the hot routes (hot-route.ts).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { OperatorError } from '../errors.ts';
import type { ErrorInfo } from './request-context.ts';

const REASON: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type' };

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** A finished reply, whichever transport sends it. */
export interface Answer {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string | Buffer;
}

export interface ErrorAnswer extends Answer {
  readonly errorInfo: ErrorInfo;
}

/** The reply of a framework-level 4xx (body too large, malformed request). */
export function frameworkErrorAnswer(code: number): ErrorAnswer {
  const reason = REASON[code] ?? 'Bad Request';
  return { statusCode: code, contentType: 'text/plain', body: reason, errorInfo: { status: 'client_error', message: reason } };
}

/** Maps any thrown value to its reply; unexpected errors are logged (class and message only). */
export function errorAnswer(err: unknown, logger: Logger, path: string): ErrorAnswer {
  if (err instanceof OperatorError) {
    return { statusCode: err.httpCode, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(err.toBody()), errorInfo: { status: err.status, message: err.detail } };
  }
  const e = err as Partial<FastifyError>;
  const code = e?.statusCode;
  if (typeof code === 'number' && code >= 400 && code < 500) return frameworkErrorAnswer(code);
  // Only the error's class and message: never request data, keys or tokens.
  logger.error({ err: { type: e?.name, code: e?.code, message: e?.message, stack: e?.stack }, path }, 'unexpected error');
  return { statusCode: 500, contentType: 'text/plain', body: 'Internal Server Error', errorInfo: { status: 'unknown', message: 'Internal Server Error' } };
}

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    const answer = errorAnswer(err, logger, request.url.split('?')[0]);
    request.errorInfo = answer.errorInfo;
    return reply.code(answer.statusCode).header('content-type', answer.contentType).send(answer.body);
  });
  app.setNotFoundHandler((request, reply) => {
    request.errorInfo = { status: 'not_found', message: undefined };
    return reply.code(404).type('text/plain').send('Not Found');
  });
}
