/**
 * Every upstream config key the operator reads (spec §11), described once as data: its type and
 * built-in default. Upstream snake_case names stop here and in `operator-config.ts`; the rest of
 * the operator sees the typed camelCase `OperatorConfig`.
 */
import { boolKey, intKey, stringKey, type ConfigKeyDescriptor, type RawConfigOf } from '../../config/config-keys.ts';
import { SERVER_LIMIT_KEYS } from '../../http/server-limits.ts';

export type { ConfigKeyDescriptor, ConfigKind } from '../../config/config-keys.ts';

const str = stringKey;
const int = intKey;
const bool = (d: boolean): ConfigKeyDescriptor => boolKey(d);

export const CONFIG_KEYS = {
  // identity and tokens (spec §6, §7, §11)
  identity_scope: str('uid2'),
  enable_v2_encryption: bool(true),
  enable_phone_support: bool(true),
  identity_v3: bool(false),
  identity_token_expires_after_seconds: int(),
  refresh_token_expires_after_seconds: int(),
  refresh_identity_token_after_seconds: int(),
  sharing_token_expiry_seconds: int(2_592_000),
  max_bidstream_lifetime_seconds: int(),
  max_sharing_lifetime_seconds: int(),
  allow_clock_skew_seconds: int(1800),
  identity_environment: str(),
  enable_remote_config: bool(false),
  // client-side token generation (spec §9)
  client_side_token_generate: bool(false),
  client_side_token_generate_domain_name_check_enabled: bool(true),
  client_side_token_generate_log_invalid_http_origins: bool(false),
  // key sharing, opt-out status, service links (spec §8.3, §4.8, §14)
  key_sharing_endpoint_provide_app_names: bool(false),
  tcf_vendor_id: int(21),
  optout_status_api_enabled: bool(true),
  optout_status_max_request_size: int(5000),
  validate_service_links: bool(false),
  // store locations (spec §11, §12)
  sites_metadata_path: str(),
  clients_metadata_path: str(),
  client_side_keypairs_metadata_path: str(),
  keysets_metadata_path: str(),
  keyset_keys_metadata_path: str(),
  salts_metadata_path: str(),
  services_metadata_path: str(),
  service_links_metadata_path: str(),
  cloud_encryption_keys_metadata_path: str(),
  runtime_config_metadata_path: str(),
  optout_metadata_path: str(),
  encrypted_files: bool(false),
  storage_mock: bool(false),
  // store poll intervals
  config_scan_period_ms: int(10_000),
  auth_refresh_ms: int(10_000),
  keyset_refresh_ms: int(10_000),
  keysetkey_refresh_ms: int(10_000),
  salt_refresh_ms: int(10_000),
  site_refresh_ms: int(10_000),
  client_side_keypairs_refresh_ms: int(10_000),
  service_refresh_ms: int(10_000),
  service_link_refresh_ms: int(10_000),
  cloud_encryption_keys_refresh_ms: int(10_000),
  cloud_refresh_interval: int(60),
  salts_expired_shutdown_hours: int(12),
  store_refresh_stale_shutdown_hours: int(12),
  // API usage logs (upstream stats collector; `api_usage_log_interval_ms` is ours, upstream fixes 60 s)
  logging_limit_max_invalid_paths_per_interval: int(50),
  logging_limit_max_version_buckets_per_site: int(50),
  api_usage_log_interval_ms: int(60_000),
  // Core / OptOut / attestation (spec §10.3, §12.1)
  core_attest_url: str(),
  core_api_token: str(),
  optout_api_uri: str(),
  enclave_platform: str(),
  // Platform evidence (attestation-azure.md §1.3): azure-cc SKR sidecar and MAA, azure-sgx quote helper.
  // Upstream hard-codes the sidecar URL; the keys exist so a local stack can point at simulators.
  skr_url: str(),
  maa_server_base_url: str(),
  sgx_quote_helper: str(),
  operator_type: str('public'),
  uid_instance_id_prefix: str('local-operator'),
  // process
  // Kubernetes pre-stop marker (spec §13.1 PodTerminationMonitor): upstream hard-codes the file.
  pod_termination_check_interval: int(3000),
  pod_termination_file: str('/app/pod_terminating/pod_terminating'),
  // Not upstream: on SIGTERM, /ops/healthcheck answers 503 this long before the server closes (0 = off).
  shutdown_drain_ms: int(0),
  // HTTP server limits (issue 14, src/http/server-limits.ts); the body budget and the connection
  // cap are the process's, shared out evenly among its request threads; the budget leaves room
  // for sixteen of the identity maps' 1 MiB bodies at once
  ...SERVER_LIMIT_KEYS,
  http_max_connections: int(10_000),
  http_max_buffered_body_bytes: int(16 << 20),
  // request threads (issue 16): upstream's verticle count names the thread count; unset = the CPUs
  service_instances: int(),
  request_thread_stall_ms: int(5000),
  replay_guard_capacity: int(1_000_000),
  replay_guard_client_share_percent: int(50),
  port: int(8080),
  metrics_port: int(9080),
  port_offset: int(0),
  host: str('0.0.0.0'),
} as const satisfies Record<string, ConfigKeyDescriptor>;

export type ConfigKey = keyof typeof CONFIG_KEYS;
export type RawConfig = RawConfigOf<typeof CONFIG_KEYS>;

export function isConfigKey(name: string): name is ConfigKey {
  return Object.hasOwn(CONFIG_KEYS, name);
}

/** Keys that hold credentials: never logged or echoed in an error message. */
export const SECRET_CONFIG_KEYS: ReadonlySet<ConfigKey> = new Set(['core_api_token']);
