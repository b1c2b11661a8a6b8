/**
 * The config files of a data set: the operator's local-mode config (keys of spec operator-spec.md
 * §11, shaped like the fixture `conf/local-config.json` but pointing at `/stores/...`), Core's
 * config (spec attestation-azure.md §4, "Core-side config") and OptOut's (the same attestation
 * token keys as Core's, so OptOut checks operators' attestation as Core does).
 */
import { randomBase64 } from './secret-key.ts';
import { metadataPath, type StoreName } from '../stores/store-layout.ts';

export type IdentityScopeName = 'uid2' | 'euid';

/** Token lifetimes of the demo runtime config (the fixture's local values). */
export const DEMO_RUNTIME_CONFIG = {
  identity_token_expires_after_seconds: 3600,
  refresh_token_expires_after_seconds: 86_400,
  refresh_identity_token_after_seconds: 900,
  sharing_token_expiry_seconds: 2_592_000,
  identity_environment: 'test',
} as const;

const OPERATOR_STORE_KEYS: ReadonlyArray<[string, StoreName]> = [
  ['sites_metadata_path', 'sites'],
  ['clients_metadata_path', 'clients'],
  ['client_side_keypairs_metadata_path', 'client_side_keypairs'],
  ['keysets_metadata_path', 'keysets'],
  ['keyset_keys_metadata_path', 'keyset_keys'],
  ['salts_metadata_path', 'salts'],
  ['services_metadata_path', 'services'],
  ['service_links_metadata_path', 'service_links'],
  ['cloud_encryption_keys_metadata_path', 'cloud_encryption_keys'],
  ['runtime_config_metadata_path', 'runtime_config'],
];

export function operatorConfig(scope: IdentityScopeName): Record<string, unknown> {
  const paths = Object.fromEntries(OPERATOR_STORE_KEYS.map(([key, store]) => [key, `/${metadataPath(store)}`]));
  return {
    storage_mock: true,
    ...paths,
    identity_scope: scope,
    enable_v2_encryption: true,
    enable_phone_support: true,
    identity_v3: false,
    identity_token_expires_after_seconds: DEMO_RUNTIME_CONFIG.identity_token_expires_after_seconds,
    refresh_token_expires_after_seconds: DEMO_RUNTIME_CONFIG.refresh_token_expires_after_seconds,
    refresh_identity_token_after_seconds: DEMO_RUNTIME_CONFIG.refresh_identity_token_after_seconds,
    sharing_token_expiry_seconds: DEMO_RUNTIME_CONFIG.sharing_token_expiry_seconds,
    identity_environment: DEMO_RUNTIME_CONFIG.identity_environment,
    enable_remote_config: true,
    client_side_token_generate: true,
    client_side_token_generate_domain_name_check_enabled: true,
    key_sharing_endpoint_provide_app_names: true,
    optout_status_api_enabled: true,
    encrypted_files: false,
    operator_type: 'private',
    salts_expired_shutdown_hours: 12,
    store_refresh_stale_shutdown_hours: 12,
    uid_instance_id_prefix: 'local-operator',
  };
}

/** Default ports of the upstream services: Core 8088, OptOut 8081. */
export const DEFAULT_CORE_URL = 'http://localhost:8088';
export const DEFAULT_OPTOUT_URL = 'http://localhost:8081';

export function coreConfig(): Record<string, unknown> {
  return {
    core_public_url: DEFAULT_CORE_URL,
    optout_url: DEFAULT_OPTOUT_URL,
    att_token_enc_key: randomBase64(32),
    att_token_enc_salt: randomBase64(16),
    att_token_lifetime_seconds: 7200,
    enforce_jwt: false,
    operators_metadata_path: `/${metadataPath('operators')}`,
    enclaves_metadata_path: `/${metadataPath('enclaves')}`,
    maa_server_base_url: 'https://sharedeus.eus.attest.azure.net',
    store_refresh_ms: 10_000,
    signed_url_ttl_seconds: 300,
    private_operators_get_public_stores: true,
  };
}

/** OptOut's config for a data set whose Core config is `core`: Core's token keys and URLs. */
export function optoutConfig(core: Record<string, unknown>): Record<string, unknown> {
  return {
    att_token_enc_key: core.att_token_enc_key,
    att_token_enc_salt: core.att_token_enc_salt,
    core_public_url: core.core_public_url,
    optout_url: core.optout_url,
    enforce_jwt: core.enforce_jwt,
  };
}
