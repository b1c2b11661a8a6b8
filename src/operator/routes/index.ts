/**
 * The operator's route table (spec §4): every route with its method, path, roles and body form,
 * in one list. Config switches (`client_side_token_generate`, `optout_status_api_enabled`) decide
 * whether a route is in the table, never branch inside a handler (style.md §5).
 */
import type { OperatorConfig } from '../config/operator-config.ts';
import type { RouteSpec } from '../http/route.ts';
import { cstgRoutes } from './cstg.ts';
import { identityRoutes } from './identity.ts';
import { keyRoutes } from './keys.ts';
import { opsRoutes } from './ops.ts';
import { optoutStatusRoutes } from './optout-status.ts';
import { refreshRoutes } from './token-refresh.ts';
import { tokenRoutes } from './token.ts';

export function routeTable(config: OperatorConfig): RouteSpec[] {
  return [
    ...tokenRoutes(),
    ...refreshRoutes(),
    ...identityRoutes(),
    ...keyRoutes(),
    ...(config.optoutStatusApiEnabled ? optoutStatusRoutes() : []),
    ...(config.clientSideTokenGenerate ? cstgRoutes() : []),
    ...opsRoutes(),
  ];
}
