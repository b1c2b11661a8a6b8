/**
 * The last step of every request (spec §13.2, §13.3): HTTP metrics by route pattern, the API
 * usage log (metrics/usage-log.ts), client SDK versions, and one log line per error answer. The
 * line names status, site, path and the caller's address; it never includes a key, secret, token
 * or identity.
 */
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import { safePath } from '../metrics/usage-log.ts';
import type { ErrorInfo } from './answer.ts';
import { clientVersionOf } from './client-version.ts';
import { clientAddressOf, type RequestHead } from './request.ts';

export interface Observation {
  readonly head: RequestHead;
  /** Route pattern (bounded label cardinality), or undefined for an unknown route. */
  readonly route: string | undefined;
  readonly statusCode: number;
  readonly elapsedMs: number;
  readonly siteId: number | undefined;
  /** The API key's contact when the request was authenticated (usage log). */
  readonly apiContact: string | undefined;
  readonly errorInfo: ErrorInfo | undefined;
}

/** CSTG records its own usage line: its domain is the Origin or app name (routes/cstg.ts). */
const SELF_RECORDED = '/v2/token/client-generate';

export function observeResponse(metrics: OperatorMetrics, logger: Logger, o: Observation): void {
  const { head } = o;
  // Unknown routes (404s) are not counted, as upstream.
  if (o.route !== undefined) {
    const series = metrics.httpByRoute.get(head.method, o.route, String(o.statusCode));
    series.requests.inc();
    series.duration.observe(o.elapsedMs / 1000);
  }
  const usage = metrics.usage;
  if (usage !== undefined && o.route !== SELF_RECORDED) {
    usage.record(head.path, o.siteId, o.apiContact, usage.hostOf(head.headers.referer), clientVersionOf(head));
  }
  if (o.statusCode < 400) return;
  const { headers } = head;
  logger.warn(
    {
      errorStatus: o.errorInfo?.status,
      siteId: o.siteId,
      // A path that is no route can carry anything (an identity typed into the URL): shape-checked.
      path: safePath(head.path),
      statusCode: o.statusCode,
      message: o.errorInfo?.message,
      clientAddress: clientAddressOf(head),
      ...(o.statusCode < 500 ? { origin: headers.origin, referer: headers.referer?.split('?')[0] } : {}),
    },
    'Response to http request',
  );
}
