/**
 * What every route receives (style.md §5 "Routes"): no module-level singletons. A route reads
 * these, its payload and one store view (http/route.ts `RouteInput`).
 */
import type { Logger } from 'pino';
import type { OperatorConfig } from './config/operator-config.ts';
import type { HealthRegistry } from './metrics/health.ts';
import type { OperatorMetrics } from './metrics/operator-metrics.ts';
import type { OperatorStores } from './stores/operator-stores.ts';
import type { OptOutWriter } from './optout/optout-writer.ts';
import type { RejectedOriginLog } from './metrics/rejected-origin-log.ts';
import type { SaltExpiryPolicy } from './sync/salt-expiry-policy.ts';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface OperatorDeps {
  readonly config: OperatorConfig;
  readonly stores: OperatorStores;
  readonly clock: Clock;
  readonly metrics: OperatorMetrics;
  readonly health: HealthRegistry;
  readonly logger: Logger;
  /** Sends `/v2/token/logout` opt-outs to the OptOut service (spec §10.3). */
  readonly optOutWriter: OptOutWriter;
  /** Per-request expired-salt rule (upstream `handleSaltRetrievalResponse`); absent in unit tests. */
  readonly saltExpiry?: SaltExpiryPolicy;
  /** Hourly log of rejected CSTG origins/app names (`client_side_token_generate_log_invalid_http_origins`). */
  readonly rejectedOrigins?: RejectedOriginLog;
}
