/**
 * The single error handler (style.md §5 "Errors"): catalogue errors become
 * `{"status","message"}` with their HTTP code; framework 4xx (413 body too large, malformed
 * requests) keep their code; anything else is logged and answered 500 without details.
 * Unknown routes answer 404 (spec §1).
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { OperatorError } from '../errors.ts';

const REASON: Record<number, string> = { 400: 'Bad Request', 404: 'Not Found', 413: 'Request Entity Too Large', 415: 'Unsupported Media Type' };

export function installErrorHandling(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    if (err instanceof OperatorError) {
      request.errorInfo = { status: err.status, message: err.detail };
      return reply.code(err.httpCode).type('application/json').send(JSON.stringify(err.toBody()));
    }
    const code = (err as FastifyError).statusCode;
    if (typeof code === 'number' && code >= 400 && code < 500) {
      const reason = REASON[code] ?? 'Bad Request';
      request.errorInfo = { status: 'client_error', message: reason };
      return reply.code(code).type('text/plain').send(reason);
    }
    // Only the error's class and message: never request data, keys or tokens.
    logger.error({ err: { type: err.name, code: (err as FastifyError).code, message: err.message, stack: err.stack }, path: request.url.split('?')[0] }, 'unexpected error');
    request.errorInfo = { status: 'unknown', message: 'Internal Server Error' };
    return reply.code(500).type('text/plain').send('Internal Server Error');
  });
  app.setNotFoundHandler((request, reply) => {
    request.errorInfo = { status: 'not_found', message: undefined };
    return reply.code(404).type('text/plain').send('Not Found');
  });
}
