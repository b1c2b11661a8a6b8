/**
 * Every upstream Prometheus series this operator claims to export under upstream's name, type and
 * label names, with where upstream defines it. Described once, as data: the metrics test checks
 * each is exported after traffic, and the docs test that docs/operations.md lists each with its
 * source. Prometheus names are Micrometer's: dots become underscores, counters end in `_total`,
 * timers in `_seconds`, and a summary's largest recent value is a separate `_max` gauge. Every
 * series also has `application="uid2-operator"` (upstream's common tag).
 *
 * Sources: `OP:` = IABTechLab/uid2-operator `src/main/java/com/uid2/operator/`, `SH:` =
 * IABTechLab/uid2-shared `src/main/java/com/uid2/shared/`, `VM:` = vert-x3/vertx-micrometer-metrics
 * `src/main/java/io/vertx/micrometer/`, `spec` = ../shared/spec/operator-spec.md §13.2 (a name found
 * by grep whose defining code is not in the sources we could read; its meaning here is ours).
 */
export type UpstreamMetricType = 'counter' | 'gauge' | 'summary';

export interface UpstreamMetric {
  readonly name: string;
  readonly type: UpstreamMetricType;
  readonly labels: readonly string[];
  readonly source: string;
  /** Exported only in some setups (attested mode, EUID scope, service links). */
  readonly when?: string;
}

const HTTP = ['code', 'method', 'path'];
const STORE = ['store'];

const LISTED: readonly UpstreamMetric[] = [
  { name: 'app_status', type: 'gauge', labels: ['version'], source: 'OP:Main.java setupMetrics' },
  { name: 'vertx_http_server_requests_total', type: 'counter', labels: HTTP, source: 'OP:Main.java createVertx; VM:impl/VertxHttpServerMetrics.java, MetricsNaming.java v4Names' },
  { name: 'vertx_http_server_response_time_seconds', type: 'summary', labels: [...HTTP, 'quantile'], source: 'OP:Main.java setupMetrics (percentiles 0.9/0.95/0.99); VM:impl/VertxHttpServerMetrics.java' },
  { name: 'vertx_http_server_response_time_seconds_max', type: 'gauge', labels: HTTP, source: 'OP:Main.java setupMetrics; VM:impl/VertxHttpServerMetrics.java' },
  {
    name: 'uid2_token_response_status_count_total',
    type: 'counter',
    labels: ['site_id', 'site_name', 'token_endpoint', 'token_response_status', 'advertising_token_version', 'cstg', 'platform_type'],
    source: 'OP:monitoring/TokenResponseStatsCollector.java',
  },
  { name: 'uid2_token_validate_total', type: 'counter', labels: ['site_id', 'site_name', 'result'], source: 'OP:vertx/UIDOperatorVerticle.java recordTokenValidateStats' },
  { name: 'uid2_refresh_token_received_count_total', type: 'counter', labels: ['site_id', 'refresh_token_version'], source: 'OP:vertx/UIDOperatorVerticle.java recordRefreshTokenVersionCount' },
  { name: 'uid2_refresh_token_served_count_total', type: 'counter', labels: ['site_id', 'refresh_token_version'], source: 'OP:service/EncryptedTokenEncoder.java recordRefreshTokenVersionCount' },
  { name: 'uid2_token_refresh_duration_seconds', type: 'summary', labels: ['site_id', 'site_name', 'api_contact', 'has_origin_header'], source: 'OP:vertx/UIDOperatorVerticle.java recordRefreshDurationStats' },
  {
    name: 'uid2_advertising_token_expired_on_refresh_total',
    type: 'counter',
    labels: ['site_id', 'site_name', 'has_origin_header', 'is_expired'],
    source: 'OP:vertx/UIDOperatorVerticle.java recordRefreshDurationStats',
  },
  { name: 'uid2_token_generate_tcf_usage_total', type: 'counter', labels: ['api_contact'], source: 'OP:vertx/UIDOperatorVerticle.java recordTokenGenerateTCFUsage', when: 'identity_scope euid' },
  { name: 'uid2_raw_uid_version_total', type: 'counter', labels: ['version'], source: 'OP:service/UIDOperatorService.java incrementAdvertisingIdVersionCounter' },
  { name: 'uid2_operator_identity_map_inputs', type: 'summary', labels: ['api_contact'], source: 'OP:vertx/UIDOperatorVerticle.java recordIdentityMapStats' },
  { name: 'uid2_operator_identity_map_unmapped_total', type: 'counter', labels: ['api_contact', 'reason'], source: 'OP:vertx/UIDOperatorVerticle.java recordIdentityMapStats' },
  { name: 'uid2_operator_identity_map_unmapped_requests_total', type: 'counter', labels: ['api_contact'], source: 'OP:vertx/UIDOperatorVerticle.java recordIdentityMapStats' },
  {
    name: 'uid2_operator_identity_map_services_inputs',
    type: 'summary',
    labels: ['api_contact', 'service_name', 'service_link_name'],
    source: 'OP:vertx/UIDOperatorVerticle.java recordIdentityMapStatsForServiceLinks',
    when: 'service keys mapping through a service link',
  },
  {
    name: 'uid2_operator_identity_map_services_unmapped_total',
    type: 'counter',
    labels: ['api_contact', 'reason', 'service_name', 'service_link_name'],
    source: 'OP:vertx/UIDOperatorVerticle.java recordIdentityMapStatsForServiceLinks',
    when: 'service keys mapping through a service link',
  },
  { name: 'uid2_operator_optout_status_input_size', type: 'summary', labels: ['api_contact'], source: 'OP:vertx/UIDOperatorVerticle.java recordOptOutStatusEndpointStats' },
  { name: 'uid2_operator_optout_status_optout_size', type: 'summary', labels: ['api_contact'], source: 'OP:vertx/UIDOperatorVerticle.java recordOptOutStatusEndpointStats' },
  { name: 'uid2_second_level_salt_last_updated_max', type: 'gauge', labels: [], source: 'OP:monitoring/OperatorMetrics.java setup' },
  { name: 'uid2_second_level_salt_last_updated_min', type: 'gauge', labels: [], source: 'OP:monitoring/OperatorMetrics.java setup' },
  { name: 'uid2_second_level_salt_current_effective', type: 'gauge', labels: [], source: 'spec' },
  { name: 'uid2_encryption_key_activates', type: 'gauge', labels: ['site_id'], source: 'OP:monitoring/OperatorMetrics.java update' },
  { name: 'uid2_operator_startup_duration', type: 'gauge', labels: [], source: 'spec' },
  { name: 'uid2_operator_startup_store_refresh_duration_ms', type: 'gauge', labels: ['store_name'], source: 'SH:vertx/RotatingStoreVerticle.java startRefresh' },
  { name: 'uid2_config_store_refreshed_total', type: 'counter', labels: STORE, source: 'SH:vertx/RotatingStoreVerticle.java' },
  { name: 'uid2_config_store_refreshtime_ms_total', type: 'counter', labels: STORE, source: 'SH:vertx/RotatingStoreVerticle.java' },
  { name: 'uid2_config_store_refresh_failures_total', type: 'counter', labels: STORE, source: 'SH:vertx/RotatingStoreVerticle.java' },
  { name: 'uid2_config_store_version', type: 'gauge', labels: STORE, source: 'SH:vertx/RotatingStoreVerticle.java' },
  { name: 'uid2_config_store_entry_count', type: 'gauge', labels: STORE, source: 'SH:vertx/RotatingStoreVerticle.java' },
  { name: 'uid2_config_store_consecutive_refresh_failures', type: 'gauge', labels: STORE, source: 'SH:vertx/RotatingStoreVerticle.java' },
  { name: 'uid2_cloud_refreshed_total', type: 'counter', labels: STORE, source: 'SH:vertx/CloudSyncVerticle.java', when: 'attested mode' },
  { name: 'uid2_cloud_refresh_failures_total', type: 'counter', labels: STORE, source: 'SH:vertx/CloudSyncVerticle.java', when: 'attested mode' },
  { name: 'uid2_cloud_downloaded_total', type: 'counter', labels: STORE, source: 'SH:vertx/CloudSyncVerticle.java', when: 'attested mode' },
  { name: 'uid2_cloud_downloaded_consecutive_refresh_failures', type: 'gauge', labels: STORE, source: 'SH:vertx/CloudSyncVerticle.java', when: 'attested mode' },
  { name: 'uid2_optout_entries_indexed', type: 'gauge', labels: [], source: 'OP:store/CloudSyncOptOutStore.java OptOutStoreSnapshot', when: 'attested mode' },
  { name: 'uid2_api_usage_domain_missed_total', type: 'counter', labels: [], source: 'OP:monitoring/StatsCollectorVerticle.java' },
];

/** A Micrometer summary without percentiles comes with its `_max` gauge (same labels, same source). */
export const UPSTREAM_METRICS: readonly UpstreamMetric[] = LISTED.flatMap((m) =>
  m.type === 'summary' && !m.labels.includes('quantile') ? [m, { ...m, name: `${m.name}_max`, type: 'gauge' as const }] : [m],
);
