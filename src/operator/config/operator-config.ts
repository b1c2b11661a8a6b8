/**
 * The operator's typed configuration, parsed once from the layered raw keys (spec §11).
 * Validation fails with one message naming the key, e.g. lifetimes out of order (spec §7.6).
 */
import { IdentityScope, parseScope, type IdentityEnvironmentName } from '../../protocol/identity-kinds.ts';
import { serverLimitsFrom, type ServerLimits } from '../../http/server-limits.ts';
import type { RawConfig } from './config-keys.ts';
import { ConfigError } from './config-error.ts';

/** Token lifetimes in seconds; static config or the runtime_config store supplies them. */
export interface TokenLifetimes {
  readonly identityExpiresAfterSeconds: number;
  readonly refreshExpiresAfterSeconds: number;
  readonly refreshIdentityAfterSeconds: number;
  readonly sharingTokenExpirySeconds: number;
  readonly maxBidstreamLifetimeSeconds: number;
  readonly maxSharingLifetimeSeconds: number;
}

export type StoreMetadataPaths = Readonly<{
  sites?: string;
  clients?: string;
  client_side_keypairs?: string;
  keysets?: string;
  keyset_keys?: string;
  salts?: string;
  services?: string;
  service_links?: string;
  cloud_encryption_keys?: string;
  runtime_config?: string;
  optout?: string;
}>;

export type EnclavePlatform = 'aws-nitro' | 'gcp-oidc' | 'azure-cc' | 'azure-sgx' | undefined;
const ENCLAVE_PLATFORMS = new Set(['aws-nitro', 'gcp-oidc', 'azure-cc', 'azure-sgx']);

/** `skr_url`, `maa_server_base_url` (azure-cc) and `sgx_quote_helper` (azure-sgx). */
export type AttestationEndpoints = Readonly<{
  skrUrl?: string;
  maaBaseUrl?: string;
  sgxQuoteHelper?: string;
}>;

export interface OperatorConfig {
  readonly identityScope: IdentityScope;
  readonly enableV2Encryption: boolean;
  readonly enablePhoneSupport: boolean;
  readonly identityV3: boolean;
  /** Static lifetimes; undefined when they come only from the runtime_config store. */
  readonly staticLifetimes: TokenLifetimes | undefined;
  readonly staticIdentityEnvironment: IdentityEnvironmentName | undefined;
  readonly allowClockSkewSeconds: number;
  readonly enableRemoteConfig: boolean;
  readonly clientSideTokenGenerate: boolean;
  readonly cstgDomainNameCheckEnabled: boolean;
  readonly cstgLogInvalidHttpOrigins: boolean;
  readonly keySharingEndpointProvideAppNames: boolean;
  readonly tcfVendorId: number;
  readonly optoutStatusApiEnabled: boolean;
  readonly optoutStatusMaxRequestSize: number;
  readonly validateServiceLinks: boolean;
  readonly metadataPaths: StoreMetadataPaths;
  readonly encryptedFiles: boolean;
  readonly storageMock: boolean;
  /** Poll interval (ms) of each store. */
  readonly refreshMs: Readonly<Record<'clients' | 'keysets' | 'keyset_keys' | 'salts' | 'sites' | 'client_side_keypairs' | 'services' | 'service_links' | 'cloud_encryption_keys' | 'runtime_config' | 'optout', number>>;
  readonly saltsExpiredShutdownHours: number;
  readonly storeRefreshStaleShutdownHours: number;
  /** API usage log lines (metrics/usage-log.ts): interval and upstream's bounds. */
  readonly usageLog: { readonly intervalMs: number; readonly maxInvalidPaths: number; readonly maxVersionBucketsPerSite: number };
  readonly coreAttestUrl: string | undefined;
  readonly coreApiToken: string | undefined;
  readonly optoutApiUri: string | undefined;
  readonly enclavePlatform: EnclavePlatform;
  /** Where platform evidence comes from; undefined = the platform's production default. */
  readonly attestationEndpoints: AttestationEndpoints;
  readonly operatorType: 'public' | 'private';
  readonly uidInstanceIdPrefix: string;
  /** Health turns 503 while `file` exists, checked every `checkIntervalMs` (spec §13.1); no file = off. */
  readonly podTermination: { readonly file: string | undefined; readonly checkIntervalMs: number };
  /** On close: health answers 503 and the server keeps serving this long first, so load balancers move away. */
  readonly shutdownDrainMs: number;
  /** The HTTP server's timeouts and caps (src/http/server-limits.ts), for the whole process. */
  readonly serverLimits: ServerLimits;
  /** Request threads (`service_instances`); undefined: the CPUs the process may use. */
  readonly serviceInstances: number | undefined;
  /** A request thread whose event loop does not turn for this long is replaced. */
  readonly requestThreadStallMs: number;
  /** The replay table: entries it holds, and the share of them one client may hold (0..1]. */
  readonly replay: { readonly capacity: number; readonly clientShare: number };
  readonly port: number;
  readonly metricsPort: number;
  readonly host: string;
}


function positive(raw: RawConfig, key: keyof RawConfig): number | undefined {
  const v = raw[key];
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'number' || v <= 0) throw new ConfigError(`"${key}" must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

function nonNegative(raw: RawConfig, key: keyof RawConfig): number {
  const v = raw[key] ?? 0;
  if (typeof v !== 'number' || v < 0) throw new ConfigError(`"${key}" must be 0 or a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

function required<T>(raw: RawConfig, key: keyof RawConfig): T {
  const v = raw[key];
  if (v === null || v === undefined) throw new ConfigError(`"${key}" is required`);
  return v as T;
}

function optionalString(raw: RawConfig, key: keyof RawConfig): string | undefined {
  const v = raw[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Checks refresh_identity_after ≤ identity_expires_after ≤ refresh_expires_after (spec §7.6, §11). */
export function validateLifetimes(l: TokenLifetimes, origin: string): TokenLifetimes {
  if (l.refreshIdentityAfterSeconds > l.identityExpiresAfterSeconds) {
    throw new ConfigError(`${origin}: refresh_identity_token_after_seconds (${l.refreshIdentityAfterSeconds}) must be <= identity_token_expires_after_seconds (${l.identityExpiresAfterSeconds})`);
  }
  if (l.identityExpiresAfterSeconds > l.refreshExpiresAfterSeconds) {
    throw new ConfigError(`${origin}: identity_token_expires_after_seconds (${l.identityExpiresAfterSeconds}) must be <= refresh_token_expires_after_seconds (${l.refreshExpiresAfterSeconds})`);
  }
  if (l.maxBidstreamLifetimeSeconds < l.identityExpiresAfterSeconds) {
    throw new ConfigError(`${origin}: max_bidstream_lifetime_seconds (${l.maxBidstreamLifetimeSeconds}) must be >= identity_token_expires_after_seconds (${l.identityExpiresAfterSeconds})`);
  }
  return Object.freeze(l);
}

/** Builds lifetimes from snake_case fields (static config or the runtime_config store). */
export function lifetimesFrom(raw: Record<string, unknown>, origin: string): TokenLifetimes | undefined {
  const num = (k: string): number | undefined => {
    const v = raw[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw new ConfigError(`${origin}: "${k}" must be a positive integer`);
    return v;
  };
  const identity = num('identity_token_expires_after_seconds');
  const refresh = num('refresh_token_expires_after_seconds');
  const refreshFrom = num('refresh_identity_token_after_seconds');
  const given = [identity, refresh, refreshFrom].filter((x) => x !== undefined).length;
  if (given === 0) return undefined;
  if (identity === undefined || refresh === undefined || refreshFrom === undefined) {
    throw new ConfigError(`${origin}: identity_token_expires_after_seconds, refresh_token_expires_after_seconds and refresh_identity_token_after_seconds must be set together`);
  }
  const sharing = num('sharing_token_expiry_seconds') ?? 2_592_000;
  return validateLifetimes(
    {
      identityExpiresAfterSeconds: identity,
      refreshExpiresAfterSeconds: refresh,
      refreshIdentityAfterSeconds: refreshFrom,
      sharingTokenExpirySeconds: sharing,
      maxBidstreamLifetimeSeconds: num('max_bidstream_lifetime_seconds') ?? identity,
      maxSharingLifetimeSeconds: num('max_sharing_lifetime_seconds') ?? sharing,
    },
    origin,
  );
}

function environmentName(value: string | undefined, origin: string): IdentityEnvironmentName | undefined {
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (lower === 'test' || lower === 'integ' || lower === 'prod') return lower;
  throw new ConfigError(`${origin}: "identity_environment" must be test, integ or prod (got ${JSON.stringify(value)})`);
}
export { environmentName as parseIdentityEnvironmentName };

function port(raw: RawConfig, key: 'port' | 'metrics_port', offset: number): number {
  const p = required<number>(raw, key) + offset;
  if (p < 0 || p > 65535) throw new ConfigError(`"${key}" (+ port_offset) must be a TCP port 0..65535 (got ${p})`);
  return p;
}

/** Parses the layered keys into the typed config. Throws `ConfigError` with a clear message. */
export function parseOperatorConfig(raw: RawConfig): OperatorConfig {
  let scope: IdentityScope;
  try {
    scope = parseScope(required<string>(raw, 'identity_scope'));
  } catch {
    throw new ConfigError(`"identity_scope" must be uid2 or euid (got ${JSON.stringify(raw.identity_scope)})`);
  }
  const operatorType = required<string>(raw, 'operator_type').toLowerCase();
  if (operatorType !== 'public' && operatorType !== 'private') {
    throw new ConfigError(`"operator_type" must be public or private (got ${JSON.stringify(raw.operator_type)})`);
  }
  const enclave = optionalString(raw, 'enclave_platform');
  if (enclave !== undefined && !ENCLAVE_PLATFORMS.has(enclave)) {
    throw new ConfigError(`"enclave_platform" must be empty or one of ${[...ENCLAVE_PLATFORMS].join(', ')} (got ${JSON.stringify(enclave)})`);
  }
  const offset = (raw.port_offset as number | null) ?? 0;
  const ms = (key: keyof RawConfig): number => positive(raw, key) ?? 10_000;
  const prefix = optionalString(raw, 'uid_instance_id_prefix');
  if (prefix === undefined) throw new ConfigError('"uid_instance_id_prefix" is required');
  return Object.freeze({
    identityScope: scope,
    enableV2Encryption: raw.enable_v2_encryption as boolean,
    enablePhoneSupport: raw.enable_phone_support as boolean,
    identityV3: raw.identity_v3 as boolean,
    staticLifetimes: lifetimesFrom(raw as Record<string, unknown>, 'config'),
    staticIdentityEnvironment: environmentName(optionalString(raw, 'identity_environment'), 'config'),
    allowClockSkewSeconds: required<number>(raw, 'allow_clock_skew_seconds'),
    enableRemoteConfig: raw.enable_remote_config as boolean,
    clientSideTokenGenerate: raw.client_side_token_generate as boolean,
    cstgDomainNameCheckEnabled: raw.client_side_token_generate_domain_name_check_enabled as boolean,
    cstgLogInvalidHttpOrigins: raw.client_side_token_generate_log_invalid_http_origins as boolean,
    keySharingEndpointProvideAppNames: raw.key_sharing_endpoint_provide_app_names as boolean,
    tcfVendorId: required<number>(raw, 'tcf_vendor_id'),
    optoutStatusApiEnabled: raw.optout_status_api_enabled as boolean,
    optoutStatusMaxRequestSize: positive(raw, 'optout_status_max_request_size') ?? 5000,
    validateServiceLinks: raw.validate_service_links as boolean,
    metadataPaths: Object.freeze({
      sites: optionalString(raw, 'sites_metadata_path'),
      clients: optionalString(raw, 'clients_metadata_path'),
      client_side_keypairs: optionalString(raw, 'client_side_keypairs_metadata_path'),
      keysets: optionalString(raw, 'keysets_metadata_path'),
      keyset_keys: optionalString(raw, 'keyset_keys_metadata_path'),
      salts: optionalString(raw, 'salts_metadata_path'),
      services: optionalString(raw, 'services_metadata_path'),
      service_links: optionalString(raw, 'service_links_metadata_path'),
      cloud_encryption_keys: optionalString(raw, 'cloud_encryption_keys_metadata_path'),
      runtime_config: optionalString(raw, 'runtime_config_metadata_path'),
      optout: optionalString(raw, 'optout_metadata_path'),
    }),
    encryptedFiles: raw.encrypted_files as boolean,
    storageMock: raw.storage_mock as boolean,
    refreshMs: Object.freeze({
      clients: ms('auth_refresh_ms'),
      keysets: ms('keyset_refresh_ms'),
      keyset_keys: ms('keysetkey_refresh_ms'),
      salts: ms('salt_refresh_ms'),
      sites: ms('site_refresh_ms'),
      client_side_keypairs: ms('client_side_keypairs_refresh_ms'),
      services: ms('service_refresh_ms'),
      service_links: ms('service_link_refresh_ms'),
      cloud_encryption_keys: ms('cloud_encryption_keys_refresh_ms'),
      runtime_config: ms('config_scan_period_ms'),
      optout: (positive(raw, 'cloud_refresh_interval') ?? 60) * 1000,
    }),
    saltsExpiredShutdownHours: required<number>(raw, 'salts_expired_shutdown_hours'),
    storeRefreshStaleShutdownHours: required<number>(raw, 'store_refresh_stale_shutdown_hours'),
    usageLog: Object.freeze({
      intervalMs: positive(raw, 'api_usage_log_interval_ms') ?? 60_000,
      maxInvalidPaths: required<number>(raw, 'logging_limit_max_invalid_paths_per_interval'),
      maxVersionBucketsPerSite: required<number>(raw, 'logging_limit_max_version_buckets_per_site'),
    }),
    coreAttestUrl: optionalString(raw, 'core_attest_url'),
    coreApiToken: optionalString(raw, 'core_api_token'),
    optoutApiUri: optionalString(raw, 'optout_api_uri'),
    enclavePlatform: enclave as EnclavePlatform,
    attestationEndpoints: Object.freeze({
      skrUrl: optionalString(raw, 'skr_url'),
      maaBaseUrl: optionalString(raw, 'maa_server_base_url'),
      sgxQuoteHelper: optionalString(raw, 'sgx_quote_helper'),
    }),
    operatorType,
    uidInstanceIdPrefix: prefix,
    podTermination: Object.freeze({
      file: optionalString(raw, 'pod_termination_file'),
      checkIntervalMs: positive(raw, 'pod_termination_check_interval') ?? 3000,
    }),
    shutdownDrainMs: nonNegative(raw, 'shutdown_drain_ms'),
    serverLimits: serverLimitsFrom(raw),
    serviceInstances: positive(raw, 'service_instances'),
    requestThreadStallMs: positive(raw, 'request_thread_stall_ms') ?? 5000,
    replay: Object.freeze({
      capacity: positive(raw, 'replay_guard_capacity') ?? 1_000_000,
      clientShare: Math.min(100, positive(raw, 'replay_guard_client_share_percent') ?? 50) / 100,
    }),
    port: port(raw, 'port', offset),
    metricsPort: port(raw, 'metrics_port', offset),
    host: required<string>(raw, 'host'),
  });
}
