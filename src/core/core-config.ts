/**
 * Core's config (spec attestation-azure.md §4 "Core-side config"), read through the same layers
 * as the operator's (src/config/config-layers.ts): defaults < `DIR/core-config.json` <
 * environment variables named like the keys < flags (`--public-url`). The upstream snake_case keys
 * stop here: the rest of Core sees the typed `CoreConfig`.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError } from '../config/config-error.ts';
import { boolKey, intKey, stringKey, type RawConfigOf } from '../config/config-keys.ts';
import { layerConfigOf, type ConfigSchema, type ConfigSources } from '../config/config-layers.ts';
import { SERVER_LIMIT_KEYS, serverLimitsFrom, type ServerLimits } from '../http/server-limits.ts';

export interface CoreConfig {
  readonly corePublicUrl: string;
  readonly optoutUrl: string;
  readonly attTokenEncKey: string;
  readonly attTokenEncSalt: string;
  readonly attTokenLifetimeSeconds: number;
  readonly enforceJwt: boolean;
  readonly maaServerBaseUrl: string;
  /** How often the operators and enclaves stores are re-read. */
  readonly storeRefreshMs: number;
  /** Lifetime of the download links that replace metadata `location`s. */
  readonly signedUrlTtlSeconds: number;
  /**
   * Upstream answers 403 to private operators on /sites, /client_side_keypairs, /services and
   * /service_links (public operators only). The demo data set turns this off so a private demo
   * operator can still run client-side token generation.
   */
  readonly privateOperatorsGetPublicStores: boolean;
  /**
   * PEM file of the root(s) the azure-sgx verifier trusts for PCK chains (absolute, or relative to
   * the config file). Unset = Intel's SGX root CA, the only right value outside tests: a local
   * stack points it at the SGX simulator's test root (`uid2 sgx sim-init`).
   */
  readonly sgxRootCaPemPath: string | undefined;
  /** Timeouts and caps of Core's HTTP server (src/http/server-limits.ts). */
  readonly serverLimits: ServerLimits;
}

export const CORE_CONFIG_KEYS = {
  core_public_url: stringKey('http://localhost:8088'),
  optout_url: stringKey('http://localhost:8081'),
  att_token_enc_key: stringKey(),
  att_token_enc_salt: stringKey(),
  att_token_lifetime_seconds: intKey(7200),
  enforce_jwt: boolKey(null),
  // Upstream spells it `enforceJwt`; accepted when `enforce_jwt` is unset.
  enforceJwt: boolKey(null),
  maa_server_base_url: stringKey('https://sharedeus.eus.attest.azure.net'),
  store_refresh_ms: intKey(10_000),
  signed_url_ttl_seconds: intKey(300),
  private_operators_get_public_stores: boolKey(false),
  sgx_root_ca_pem_path: stringKey(),
  ...SERVER_LIMIT_KEYS,
} as const;

const CORE_SCHEMA: ConfigSchema<typeof CORE_CONFIG_KEYS> = {
  keys: CORE_CONFIG_KEYS,
  secrets: new Set(['att_token_enc_key', 'att_token_enc_salt']),
};

type RawCoreConfig = RawConfigOf<typeof CORE_CONFIG_KEYS>;

function str(raw: RawCoreConfig, key: keyof RawCoreConfig): string {
  const v = raw[key];
  if (typeof v === 'string' && v.length > 0) return v;
  throw new ConfigError(`core config: "${key}" must be a non-empty string`);
}

function positive(raw: RawCoreConfig, key: keyof RawCoreConfig): number {
  const v = raw[key];
  if (typeof v === 'number' && v > 0) return v;
  throw new ConfigError(`core config: "${key}" must be a positive integer`);
}

/** Parses layered keys into the typed config. Throws `ConfigError` naming the key. */
export function parseCoreConfig(raw: RawCoreConfig): CoreConfig {
  return Object.freeze({
    corePublicUrl: str(raw, 'core_public_url'),
    optoutUrl: str(raw, 'optout_url'),
    attTokenEncKey: str(raw, 'att_token_enc_key'),
    attTokenEncSalt: str(raw, 'att_token_enc_salt'),
    attTokenLifetimeSeconds: positive(raw, 'att_token_lifetime_seconds'),
    enforceJwt: (raw.enforce_jwt ?? raw.enforceJwt ?? false) as boolean,
    maaServerBaseUrl: str(raw, 'maa_server_base_url'),
    storeRefreshMs: positive(raw, 'store_refresh_ms'),
    signedUrlTtlSeconds: positive(raw, 'signed_url_ttl_seconds'),
    privateOperatorsGetPublicStores: raw.private_operators_get_public_stores as boolean,
    sgxRootCaPemPath: raw.sgx_root_ca_pem_path === null ? undefined : str(raw, 'sgx_root_ca_pem_path'),
    serverLimits: serverLimitsFrom(raw, 'core config'),
  });
}

/**
 * Loads `path` (the data set's core-config.json) under the environment and flag layers. A relative
 * `sgx_root_ca_pem_path` is resolved against the file's directory.
 */
export function loadCoreConfig(path: string, sources: Omit<ConfigSources, 'files'> = {}): CoreConfig {
  const config = parseCoreConfig(layerConfigOf(CORE_SCHEMA, { ...sources, files: [path] }));
  const pemPath = config.sgxRootCaPemPath;
  return pemPath === undefined ? config : { ...config, sgxRootCaPemPath: resolve(dirname(path), pemPath) };
}
