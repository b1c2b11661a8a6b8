/**
 * The last step of every request (spec §13.2, §13.3): HTTP metrics by route pattern, client SDK
 * versions, and one log line per error answer. The line names status, site, path and the caller's
 * address; it never includes a key, secret, token or identity.
 */
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import type { ErrorInfo } from './answer.ts';
import { clientAddressOf, type RequestHead } from './request.ts';

export interface Observation {
  readonly head: RequestHead;
  /** Route pattern (bounded label cardinality), or undefined for an unknown route. */
  readonly route: string | undefined;
  readonly statusCode: number;
  readonly elapsedMs: number;
  readonly siteId: number | undefined;
  readonly errorInfo: ErrorInfo | undefined;
}

export function observeResponse(metrics: OperatorMetrics, logger: Logger, o: Observation): void {
  // Unknown routes (404s) are not counted, as upstream.
  if (o.route !== undefined) {
    const series = metrics.httpByRoute.get(o.head.method, o.route, String(o.statusCode));
    series.requests.inc();
    series.duration.observe(o.elapsedMs / 1000);
  }
  if (o.statusCode < 400) return;
  const { headers } = o.head;
  logger.warn(
    {
      errorStatus: o.errorInfo?.status,
      siteId: o.siteId,
      path: o.head.path,
      statusCode: o.statusCode,
      message: o.errorInfo?.message,
      clientAddress: clientAddressOf(o.head),
      ...(o.statusCode < 500 ? { origin: headers.origin, referer: headers.referer?.split('?')[0] } : {}),
    },
    'Response to http request',
  );
}
