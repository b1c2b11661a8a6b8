/**
 * Token-flow series under upstream's Prometheus names, labels and label values (Micrometer appends
 * `_total` to a counter's name). Sources, `OP:` = IABTechLab/uid2-operator `src/main/java/com/uid2/operator`:
 *
 * | name                                              | labels                                     | source |
 * | uid2_token_response_status_count_total            | site_id, site_name, token_endpoint, token_response_status, advertising_token_version, cstg, platform_type | OP:monitoring/TokenResponseStatsCollector.java |
 * | uid2_token_validate_total                         | site_id, site_name, result                 | OP:vertx/UIDOperatorVerticle.java recordTokenValidateStats |
 * | uid2_refresh_token_received_count_total           | site_id, refresh_token_version             | OP:vertx/UIDOperatorVerticle.java recordRefreshTokenVersionCount |
 * | uid2_refresh_token_served_count_total             | site_id, refresh_token_version             | OP:service/EncryptedTokenEncoder.java recordRefreshTokenVersionCount |
 * | uid2_token_refresh_duration_seconds (summary)     | site_id, site_name, api_contact, has_origin_header | OP:vertx/UIDOperatorVerticle.java recordRefreshDurationStats |
 * | uid2_advertising_token_expired_on_refresh_total   | site_id, site_name, has_origin_header, is_expired | same |
 * | uid2_token_generate_tcf_usage_total               | api_contact                                | OP:vertx/UIDOperatorVerticle.java recordTokenGenerateTCFUsage |
 * | uid2_raw_uid_version_total                        | version                                    | OP:service/UIDOperatorService.java incrementAdvertisingIdVersionCounter |
 *
 * Every update goes through a cached buffered series (bound-labels.ts): a plain add per request.
 * Label values are bounded by the stores (sites, API keys) and fixed enums.
 */
import type { Registry } from 'prom-client';
import type { BoundLabels } from './bound-labels.ts';
import { boundCounter, boundSummary } from './bound-series.ts';
import type { CounterSeries } from './buffered-counter.ts';
import type { SummarySeries } from './buffered-summary.ts';

/** Upstream `TokenResponseStatsCollector.Endpoint` names of the endpoints this operator serves. */
export type TokenEndpoint = 'GenerateV2' | 'RefreshV2' | 'ClientSideTokenGenerateV2';

/** Upstream `TokenResponseStatsCollector.ResponseStatus`. */
export type TokenResponseStatus =
  | 'Success'
  | 'InsufficientUserConsent'
  | 'InvalidUserConsentString'
  | 'OptOut'
  | 'ExpiredToken'
  | 'InvalidToken'
  | 'MissingParams'
  | 'BadPublicKey'
  | 'BadSubscriptionId'
  | 'InvalidHttpOrigin'
  | 'InvalidAppName'
  | 'BadIV'
  | 'BadPayload'
  | 'BadJsonPayload'
  | 'PayloadHasNoBody'
  | 'Unauthorized'
  | 'Unknown'
  | 'NoActiveKey';

/** `match`, `mismatch`, `unauthorized`, `invalid_token`, `invalid_input`, `error` (upstream). */
export type TokenValidateResult = 'match' | 'mismatch' | 'unauthorized' | 'invalid_token' | 'invalid_input' | 'error';

/** The raw UID formats (`v2`, `v3` salt-based; `v4` key-based). */
export type RawUidVersion = 'v2' | 'v3' | 'v4';

export interface TokenResponse {
  readonly siteId: number;
  readonly siteName: string;
  readonly endpoint: TokenEndpoint;
  readonly status: TokenResponseStatus;
  /** `V4` when a token was issued; upstream writes `null` otherwise. */
  readonly advertisingTokenVersion: 'V4' | 'null';
  /** Upstream `PlatformType`: InApp, HasOriginHeader or Other. */
  readonly platformType: string;
}

export interface RefreshDuration {
  readonly siteId: number;
  readonly siteName: string;
  readonly apiContact: string;
  readonly hasOriginHeader: boolean;
  readonly seconds: number;
  readonly isExpired: boolean;
}

export class TokenFlowMetrics {
  private readonly responses: BoundLabels<CounterSeries>;
  private readonly validate: BoundLabels<CounterSeries>;
  private readonly received: BoundLabels<CounterSeries>;
  private readonly served: BoundLabels<CounterSeries>;
  private readonly refreshDuration: BoundLabels<SummarySeries>;
  private readonly expiredOnRefresh: BoundLabels<CounterSeries>;
  private readonly tcfUsage: BoundLabels<CounterSeries>;
  private readonly rawUidVersions: BoundLabels<CounterSeries>;
  private readonly logouts: BoundLabels<CounterSeries>;

  constructor(registry: Registry) {
    this.responses = boundCounter(registry, 'uid2_token_response_status_count_total', 'Counter for token response statuses', [
      'site_id',
      'site_name',
      'token_endpoint',
      'token_response_status',
      'advertising_token_version',
      'cstg',
      'platform_type',
    ]);
    this.validate = boundCounter(registry, 'uid2_token_validate_total', 'counter for token validate endpoint results', ['site_id', 'site_name', 'result']);
    this.received = boundCounter(registry, 'uid2_refresh_token_received_count_total', 'Counter for the amount of refresh tokens received', ['site_id', 'refresh_token_version']);
    this.served = boundCounter(registry, 'uid2_refresh_token_served_count_total', 'Counter for the amount of refresh tokens served', ['site_id', 'refresh_token_version']);
    this.refreshDuration = boundSummary(registry, 'uid2_token_refresh_duration_seconds', 'duration between token refreshes', [
      'site_id',
      'site_name',
      'api_contact',
      'has_origin_header',
    ]);
    this.expiredOnRefresh = boundCounter(registry, 'uid2_advertising_token_expired_on_refresh_total', 'status of advertiser token expiry', [
      'site_id',
      'site_name',
      'has_origin_header',
      'is_expired',
    ]);
    this.tcfUsage = boundCounter(registry, 'uid2_token_generate_tcf_usage_total', 'Counter for token generate tcf usage', ['api_contact']);
    this.rawUidVersions = boundCounter(registry, 'uid2_raw_uid_version_total', 'counter for raw UID version', ['version']);
    // Ours: upstream counts no logout outcome (its write failure is a bare 500).
    this.logouts = boundCounter(registry, 'uid2_token_logout_total', 'Logout answers by site and outcome (success, optout_write_failed)', ['site_id', 'status']);
  }

  /** One `/v2/token/logout` outcome: the opt-out written, or the OptOut service did not take it. */
  logout(siteId: number, status: 'success' | 'optout_write_failed'): void {
    this.logouts.get(String(siteId), status).inc();
  }

  /** One token endpoint outcome (generate, refresh, CSTG); upstream records nothing without a site. */
  response(r: TokenResponse): void {
    const cstg = r.endpoint === 'ClientSideTokenGenerateV2' ? 'true' : 'false';
    this.responses.get(String(r.siteId), r.siteName, r.endpoint, r.status, r.advertisingTokenVersion, cstg, r.platformType).inc();
  }

  validated(siteId: number, siteName: string, result: TokenValidateResult): void {
    this.validate.get(String(siteId), siteName, result).inc();
  }

  refreshTokenReceived(siteId: number, version: 2 | 3): void {
    this.received.get(String(siteId), version === 3 ? 'v3' : 'v2').inc();
  }

  /** Every refresh token this operator issues is v3 (spec §7.3). */
  refreshTokenServed(siteId: number): void {
    this.served.get(String(siteId), 'v3').inc();
  }

  /** A successful refresh: time since the refreshed token was issued, and whether it had expired. */
  refreshed(d: RefreshDuration): void {
    const origin = d.hasOriginHeader ? 'true' : 'false';
    this.refreshDuration.get(String(d.siteId), d.siteName, d.apiContact, origin).observe(d.seconds);
    this.expiredOnRefresh.get(String(d.siteId), d.siteName, origin, d.isExpired ? 'true' : 'false').inc();
  }

  tcfConsentSent(apiContact: string): void {
    this.tcfUsage.get(apiContact).inc();
  }

  rawUids(version: RawUidVersion, count = 1): void {
    if (count > 0) this.rawUidVersions.get(version).inc(count);
  }
}
