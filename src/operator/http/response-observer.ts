/**
 * One `onResponse` hook for metrics and the error log line (spec §13.2, §13.3). The log line
 * names status, site and path; it never includes a key, secret, token or identity.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';

export function installResponseObserver(app: FastifyInstance, metrics: OperatorMetrics, logger: Logger): void {
  // Callback style, not async: no promise per request on the hot path (issue 6).
  app.addHook('onResponse', (request, reply, done) => {
    // Route pattern, never the raw URL (bounded label cardinality); 404s are dropped as upstream.
    if (reply.statusCode !== 404) {
      const series = metrics.httpByRoute.get(request.method, request.routeOptions.url ?? 'unknown', String(reply.statusCode));
      series.requests.inc();
      series.duration.observe(reply.elapsedTime / 1000);
    }
    if (reply.statusCode >= 400) {
      const siteId = request.client?.siteId ?? request.siteId;
      logger.warn(
        {
          errorStatus: request.errorInfo?.status,
          siteId,
          path: request.url.split('?')[0],
          statusCode: reply.statusCode,
          message: request.errorInfo?.message,
          clientAddress: request.ip,
          ...(reply.statusCode < 500 ? { origin: request.headers.origin, referer: request.headers.referer?.split('?')[0] } : {}),
        },
        'Response to http request',
      );
    }
    done();
  });
}
