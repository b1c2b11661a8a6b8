/**
 * Metrics and the error log line of every answered request (spec §13.2, §13.3), shared by the
 * fastify `onResponse` hook and the hot-route front (fast-front.ts). The log line names status,
 * site and path; it never includes a key, secret, token or identity.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import type { ErrorInfo } from './request-context.ts';

export interface ResponseObservation {
  readonly method: string;
  /** Route pattern (bounded label cardinality), never the raw URL. */
  readonly route: string;
  readonly statusCode: number;
  readonly elapsedMs: number;
  readonly siteId: number | undefined;
  readonly errorInfo: ErrorInfo | undefined;
  /** Raw URL; only its path is logged. */
  readonly url: string;
  /** For the log line of an error (4xx/5xx) only; callers may omit it for other answers. */
  readonly caller: CallerDetails | undefined;
}

/** The caller's address (X-Forwarded-For honoured) and headers; a fastify request is one. */
export interface CallerDetails {
  readonly ip: string | undefined;
  readonly headers: IncomingHttpHeaders;
}

export function observeResponse(metrics: OperatorMetrics, logger: Logger, o: ResponseObservation): void {
  // 404s are dropped as upstream.
  if (o.statusCode !== 404) {
    const series = metrics.httpByRoute.get(o.method, o.route, String(o.statusCode));
    series.requests.inc();
    series.duration.observe(o.elapsedMs / 1000);
  }
  if (o.statusCode < 400) return;
  logger.warn(
    {
      errorStatus: o.errorInfo?.status,
      siteId: o.siteId,
      path: o.url.split('?')[0],
      statusCode: o.statusCode,
      message: o.errorInfo?.message,
      clientAddress: o.caller?.ip,
      ...(o.statusCode < 500 ? { origin: o.caller?.headers.origin, referer: o.caller?.headers.referer?.split('?')[0] } : {}),
    },
    'Response to http request',
  );
}

export function installResponseObserver(app: FastifyInstance, metrics: OperatorMetrics, logger: Logger): void {
  // Callback style, not async: no promise per request on the hot path (issue 6).
  app.addHook('onResponse', (request, reply, done) => {
    observeResponse(metrics, logger, {
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      statusCode: reply.statusCode,
      elapsedMs: reply.elapsedTime,
      siteId: request.client?.siteId ?? request.siteId,
      errorInfo: request.errorInfo,
      url: request.url,
      caller: request,
    });
    done();
  });
}
