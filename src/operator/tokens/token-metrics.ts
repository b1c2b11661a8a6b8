/** `uid2_token_response_status_count` (spec §13.2): one count per token endpoint outcome and site. */
import type { OperatorDeps } from '../deps.ts';

export type TokenEndpoint = 'generate' | 'refresh' | 'client_side_token_generate' | 'validate' | 'logout';

export function recordTokenResponse(deps: OperatorDeps, endpoint: TokenEndpoint, siteId: number | undefined, status: string): void {
  const site = siteId === undefined ? 'unknown' : String(siteId);
  deps.metrics.tokenResponseBy.get(site, endpoint, status, endpoint === 'client_side_token_generate' ? 'true' : 'false').inc();
}
