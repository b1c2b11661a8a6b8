/**
 * OptOut service configuration, read through the same layers as the operator's and Core's
 * (src/config/config-layers.ts): defaults < `DIR/optout-config.json` (optional, all keys
 * optional) < environment variables named like the keys. Parsed once into a typed object
 * (snake_case stops here, style.md §5). Upstream names are kept where they exist
 * (operator-spec.md §10.2: optout_delta_rotate_interval 300 s, optout_partition_interval 86400 s,
 * optout_max_partitions 30; `optout_producer_replica_id`; the attestation keys as Core's,
 * attestation-azure.md §1.5).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.ts';
import { boolKey, intKey, stringKey, type RawConfigOf } from '../config/config-keys.ts';
import { layerConfigOf, type ConfigSchema, type ConfigSources } from '../config/config-layers.ts';
import { SERVER_LIMIT_KEYS, serverLimitsFrom, type ServerLimits } from '../http/server-limits.ts';

export const OPTOUT_CONFIG_FILE = 'optout-config.json';

/** How OptOut checks an operator's attestation (the same checks as Core's metadata routes). */
export interface OptOutAttestationConfig {
  /** Core's token keys; unset = no attestation token can be checked, so only `trusted` keys pass. */
  readonly tokenKeys: { readonly key: string; readonly salt: string } | undefined;
  /** JWT issuer: Core's public URL. */
  readonly issuer: string;
  /** JWT audience: this service's URL as Core hands it to operators (Core's `optout_url`). */
  readonly audience: string;
  /** Where Core publishes its JWT public key. */
  readonly jwksUrl: string;
  readonly enforceJwt: boolean;
}

export interface OptOutConfig {
  /** Seconds a delta stays open before it is closed and uploaded. */
  readonly deltaRotateIntervalS: number;
  /** Deltas older than this are compacted into a partition. */
  readonly partitionIntervalS: number;
  /** Files older than partitionIntervalS × maxPartitions expire. */
  readonly maxPartitions: number;
  /** Replica id in file names (`%03d`). */
  readonly replicaId: number;
  /** Base URL of this service as operators reach it; serves the fs backend's signed URLs. */
  readonly publicBaseUrl: string | undefined;
  /** How often the in-progress delta is re-published when it changed (ms). */
  readonly publishIntervalMs: number;
  /** Lifetime of the signed URLs in `/optout/refresh`. */
  readonly signedUrlTtlS: number;
  /** Azure container of the opt-out files (storage=azure). */
  readonly blobContainer: string;
  /** Operator-key store metadata: a blob path in Core's stores (the data directory or `coreBlobContainer`). */
  readonly operatorsMetadataPath: string;
  /** Azure container of Core's stores, where the operator keys live (storage=azure); Core's `--container`. */
  readonly coreBlobContainer: string;
  /** Poll period of the operator-key store (ms), upstream `auth_refresh_ms`. */
  readonly authRefreshMs: number;
  readonly attestation: OptOutAttestationConfig;
  /** Timeouts and caps of the HTTP server (src/http/server-limits.ts). */
  readonly serverLimits: ServerLimits;
}

export const OPTOUT_CONFIG_KEYS = {
  optout_delta_rotate_interval: intKey(300),
  optout_partition_interval: intKey(86400),
  optout_max_partitions: intKey(30),
  optout_producer_replica_id: intKey(1),
  optout_public_url: stringKey(),
  optout_publish_interval_ms: intKey(2000),
  optout_signed_url_ttl_seconds: intKey(3600),
  optout_blob_container: stringKey('optout'),
  operators_metadata_path: stringKey('/stores/operators/metadata.json'),
  core_blob_container: stringKey('uid2-core'),
  auth_refresh_ms: intKey(10000),
  // attestation checks, the same keys and defaults as Core's config
  att_token_enc_key: stringKey(),
  att_token_enc_salt: stringKey(),
  core_public_url: stringKey('http://localhost:8088'),
  optout_url: stringKey('http://localhost:8081'),
  core_jwks_url: stringKey(),
  enforce_jwt: boolKey(false),
  ...SERVER_LIMIT_KEYS,
} as const;

const OPTOUT_SCHEMA: ConfigSchema<typeof OPTOUT_CONFIG_KEYS> = {
  keys: OPTOUT_CONFIG_KEYS,
  secrets: new Set(['att_token_enc_key', 'att_token_enc_salt']),
};

type RawOptOutConfig = RawConfigOf<typeof OPTOUT_CONFIG_KEYS>;

function atLeast(raw: RawOptOutConfig, key: keyof RawOptOutConfig, min: number): number {
  const v = raw[key];
  if (typeof v !== 'number' || v < min) throw new ConfigError(`optout config: "${key}" must be an integer >= ${min}`);
  return v;
}

function optionalString(raw: RawOptOutConfig, key: keyof RawOptOutConfig): string | undefined {
  const v = raw[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function attestationOf(raw: RawOptOutConfig): OptOutAttestationConfig {
  const key = optionalString(raw, 'att_token_enc_key');
  const salt = optionalString(raw, 'att_token_enc_salt');
  if ((key === undefined) !== (salt === undefined)) throw new ConfigError('optout config: "att_token_enc_key" and "att_token_enc_salt" must be set together');
  const issuer = optionalString(raw, 'core_public_url') ?? 'http://localhost:8088';
  return Object.freeze({
    tokenKeys: key === undefined || salt === undefined ? undefined : Object.freeze({ key, salt }),
    issuer,
    audience: optionalString(raw, 'optout_url') ?? 'http://localhost:8081',
    jwksUrl: optionalString(raw, 'core_jwks_url') ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
    enforceJwt: raw.enforce_jwt === true,
  });
}

/** Parses layered keys into the typed config. Throws `ConfigError` naming the key. */
export function parseOptOutConfig(raw: RawOptOutConfig): OptOutConfig {
  const replicaId = atLeast(raw, 'optout_producer_replica_id', 0);
  if (replicaId > 999) throw new ConfigError('optout config: "optout_producer_replica_id" must be <= 999');
  return Object.freeze({
    deltaRotateIntervalS: atLeast(raw, 'optout_delta_rotate_interval', 1),
    partitionIntervalS: atLeast(raw, 'optout_partition_interval', 1),
    maxPartitions: atLeast(raw, 'optout_max_partitions', 1),
    replicaId,
    publicBaseUrl: optionalString(raw, 'optout_public_url'),
    publishIntervalMs: atLeast(raw, 'optout_publish_interval_ms', 100),
    signedUrlTtlS: atLeast(raw, 'optout_signed_url_ttl_seconds', 1),
    blobContainer: optionalString(raw, 'optout_blob_container') ?? 'optout',
    operatorsMetadataPath: optionalString(raw, 'operators_metadata_path') ?? '/stores/operators/metadata.json',
    coreBlobContainer: optionalString(raw, 'core_blob_container') ?? 'uid2-core',
    authRefreshMs: atLeast(raw, 'auth_refresh_ms', 100),
    attestation: attestationOf(raw),
    serverLimits: serverLimitsFrom(raw, 'optout config'),
  });
}

/** The config of a data directory: `DIR/optout-config.json` when present, under the environment. */
export function loadOptOutConfig(dataDir: string, sources: Omit<ConfigSources, 'files'> = {}): OptOutConfig {
  const file = join(dataDir, OPTOUT_CONFIG_FILE);
  return parseOptOutConfig(layerConfigOf(OPTOUT_SCHEMA, { ...sources, files: existsSync(file) ? [file] : [] }));
}
