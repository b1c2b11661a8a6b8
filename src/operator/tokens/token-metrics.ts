/**
 * What the token routes record, with upstream's label values (metrics/token-flow-metrics.ts):
 * site names from the sites store (`unknown` when the site is not in it, as upstream's
 * `getSiteName`), the caller's platform from its headers, and the API contact of its key.
 */
import type { OperatorDeps } from '../deps.ts';
import { platformTypeOf as platformTypeOfRequest } from '../http/client-version.ts';
import type { HeadHeaders } from '../http/request.ts';
import type { TokenEndpoint, TokenResponseStatus } from '../metrics/token-flow-metrics.ts';
import type { SiteSnapshot } from '../stores/site-store.ts';

export type { TokenEndpoint, TokenResponseStatus } from '../metrics/token-flow-metrics.ts';

/** Upstream `getSiteName`: the site's name in the request's sites snapshot, or `unknown`. */
export function siteNameOf(sites: SiteSnapshot, siteId: number | undefined): string {
  if (siteId === undefined) return 'unknown';
  return sites.byId.get(siteId)?.name || 'unknown';
}

/**
 * Upstream `getPlatformType`: an in-app SDK version header, else `HasOriginHeader` when the
 * request has an Origin, else `Other`.
 */
export function platformTypeOf(headers: HeadHeaders): string {
  return platformTypeOfRequest({ headers });
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
  sites: SiteSnapshot,
  endpoint: TokenEndpoint,
  siteId: number | undefined,
  status: TokenResponseStatus,
  platformType: string,
): void {
  if (siteId === undefined) return;
  deps.metrics.tokens.response({
    siteId,
    siteName: siteNameOf(sites, siteId),
    endpoint,
    status,
    advertisingTokenVersion: status === 'Success' ? 'V4' : 'null',
    platformType,
  });
}
