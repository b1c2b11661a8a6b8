/**
 * Metrics, the API usage log and the error log line of every answered request (spec §13.2,
 * §13.3), shared by the fastify `onResponse` hook and the hot-route front (fast-front.ts): the one
 * per-request observation point. The log line names status, site and path; it never includes a
 * key, secret, token or identity.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import { safePath, type UsageLog } from '../metrics/usage-log.ts';
import { clientVersionOf } from './client-version.ts';
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
  /** The API key's contact when the request was authenticated (usage log). */
  readonly apiContact?: string;
  /**
   * Headers the usage log reads (Referer, X-UID2-Client-Version) on every answer; without them
   * it falls back to `caller`'s, and a request without either counts under domain `unknown`.
   */
  readonly headers?: UsageHeaders;
}

export type UsageHeaders = Partial<Pick<IncomingHttpHeaders, 'referer' | 'x-uid2-client-version'>>;

/** CSTG records its own usage line: its domain is the Origin or app name (routes/cstg.ts). */
const SELF_RECORDED = '/v2/token/client-generate';

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
  const usage = metrics.usage;
  if (usage !== undefined && o.route !== SELF_RECORDED) recordUsage(usage, o);
  if (o.statusCode < 400) return;
  logger.warn(
    {
      errorStatus: o.errorInfo?.status,
      siteId: o.siteId,
      // A path that is no route can carry anything (an identity typed into the URL): shape-checked.
      path: safePath(o.url.split('?')[0]!),
      statusCode: o.statusCode,
      message: o.errorInfo?.message,
      clientAddress: o.caller?.ip,
      ...(o.statusCode < 500 ? { origin: o.caller?.headers.origin, referer: o.caller?.headers.referer?.split('?')[0] } : {}),
    },
    'Response to http request',
  );
}

function recordUsage(usage: UsageLog, o: ResponseObservation): void {
  const headers = o.headers ?? o.caller?.headers;
  const query = o.url.indexOf('?');
  let version = headers?.['x-uid2-client-version'];
  if (typeof version !== 'string' || version.length === 0) version = query < 0 ? undefined : clientVersionOf({ headers: {}, url: o.url });
  usage.record(query < 0 ? o.url : o.url.slice(0, query), o.siteId, o.apiContact, usage.hostOf(headers?.referer), version);
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
      apiContact: request.client?.contact,
      headers: request.headers,
    });
    done();
  });
}
