/**
 * What the token routes record, with upstream's label values (metrics/token-flow-metrics.ts):
 * site names from the sites store (`unknown` when the site is not in it, as upstream's
 * `getSiteName`), the caller's platform from its headers, and the API contact of its key.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { OperatorDeps } from '../deps.ts';
import { platformTypeOf as platformTypeOfRequest } from '../http/client-version.ts';
import type { TokenEndpoint, TokenResponseStatus } from '../metrics/token-flow-metrics.ts';

export type { TokenEndpoint, TokenResponseStatus } from '../metrics/token-flow-metrics.ts';

/** Upstream `getSiteName`: the site's name, or `unknown`. */
export function siteNameOf(deps: OperatorDeps, siteId: number | undefined): string {
  if (siteId === undefined) return 'unknown';
  return deps.stores.sites.peek()?.byId.get(siteId)?.name || 'unknown';
}

/**
 * Upstream `getPlatformType`: an in-app SDK version header, else `HasOriginHeader` when the
 * request has an Origin, else `Other`. Headers a transport does not hand the route count as absent.
 */
export function platformTypeOf(headers: Partial<Pick<IncomingHttpHeaders, 'origin' | 'x-uid2-client-version'>> | undefined): string {
  return platformTypeOfRequest({ headers: (headers ?? {}) as IncomingHttpHeaders });
}

/** Upstream `getApiContact`: the API key's contact, or `unknown`. */
export function apiContactOf(client: { readonly contact: string } | undefined): string {
  return client?.contact || 'unknown';
}

/**
 * `uid2_token_response_status_count_total` for one answer. Upstream records nothing when the
 * site is unknown (an unauthenticated refresh with an undecodable token, a bad CSTG subscription).
 */
export function recordTokenResponse(
  deps: OperatorDeps,
  endpoint: TokenEndpoint,
  siteId: number | undefined,
  status: TokenResponseStatus,
  platformType: string,
): void {
  if (siteId === undefined) return;
  deps.metrics.tokens.response({
    siteId,
    siteName: siteNameOf(deps, siteId),
    endpoint,
    status,
    advertisingTokenVersion: status === 'Success' ? 'V4' : 'null',
    platformType,
  });
}
