/**
 * Configuration the local stack gives its services (spec operator-spec.md §11-§12,
 * attestation-azure.md §1): Core's config file gets the OptOut URL it hands to attested
 * operators; OptOut's gets Core's token keys and URLs, so it checks every operator call's
 * attestation as Core does; both run with `enforce_jwt` on; each operator gets its attested-mode
 * keys as environment variables (the operator config layers environment variables named exactly
 * like the keys over its files).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CORE_CONFIG_FILE, OPTOUT_CONFIG_FILE } from '../../core/dataset/index.ts';

/** Core's metadata routes per operator config key (operator-spec.md §12.2). */
export const CORE_METADATA_PATHS: Readonly<Record<string, string>> = {
  salts_metadata_path: '/salt/refresh',
  clients_metadata_path: '/clients/refresh',
  keysets_metadata_path: '/key/keyset/refresh',
  keyset_keys_metadata_path: '/key/keyset-keys/refresh',
  sites_metadata_path: '/sites/refresh',
  client_side_keypairs_metadata_path: '/client_side_keypairs/refresh',
  services_metadata_path: '/services/refresh',
  service_links_metadata_path: '/service_links/refresh',
  runtime_config_metadata_path: '/operator/config',
  // Inline keys of the operator's site; loaded when `encrypted_files` is on (§12.3).
  cloud_encryption_keys_metadata_path: '/cloud_encryption_keys/retrieve',
};

/** Operator poll intervals set from the stack's `--refresh-ms`. */
const REFRESH_KEYS = [
  'config_scan_period_ms',
  'auth_refresh_ms',
  'keyset_refresh_ms',
  'keysetkey_refresh_ms',
  'salt_refresh_ms',
  'site_refresh_ms',
  'client_side_keypairs_refresh_ms',
  'service_refresh_ms',
  'service_link_refresh_ms',
] as const;

export interface CorePatch {
  readonly optoutUrl: string;
  /** Core's own URL (JWT issuer and audience; `--public-url`). */
  readonly coreUrl: string;
  /** Where OptOut fetches Core's JWT key; default `<coreUrl>/.well-known/jwks.json`. */
  readonly coreJwksUrl?: string;
  readonly storeRefreshMs: number;
  /** Further Core config keys, e.g. `maa_server_base_url` or `sgx_root_ca_pem_path` for simulators. */
  readonly extra?: Readonly<Record<string, string>>;
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>) : {};
}

async function writeJson(path: string, value: Record<string, unknown>): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Rewrites the data set's Core and OptOut configs for this stack run: URLs, polling, simulated
 * attestation, `enforce_jwt` on in both, and OptOut given Core's token keys (a data set written
 * before OptOut checked attestation has no OptOut config of its own).
 */
export async function patchServiceConfigs(dataDir: string, patch: CorePatch): Promise<void> {
  const corePath = join(dataDir, CORE_CONFIG_FILE);
  const core = await readJson(corePath);
  Object.assign(core, { optout_url: patch.optoutUrl, core_public_url: patch.coreUrl, store_refresh_ms: patch.storeRefreshMs, enforce_jwt: true }, patch.extra ?? {});
  await writeJson(corePath, core);
  const optoutPath = join(dataDir, OPTOUT_CONFIG_FILE);
  const optout = await readJson(optoutPath);
  Object.assign(optout, {
    att_token_enc_key: core.att_token_enc_key,
    att_token_enc_salt: core.att_token_enc_salt,
    core_public_url: patch.coreUrl,
    optout_url: patch.optoutUrl,
    core_jwks_url: patch.coreJwksUrl ?? null,
    enforce_jwt: true,
  });
  await writeJson(optoutPath, optout);
}

export interface OperatorEnvOptions {
  readonly index: number;
  readonly coreUrl: string;
  readonly optoutUrl: string;
  readonly operatorKey: string;
  readonly port: number;
  readonly metricsPort: number;
  readonly refreshMs: number;
  readonly optoutRefreshSeconds: number;
  /** `enclave_platform` and its endpoint keys (`stack-attestation.ts`); default trusted. */
  readonly platform?: Readonly<Record<string, string>>;
}

export function operatorEnv(o: OperatorEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    ...CORE_METADATA_PATHS,
    storage_mock: 'false',
    core_attest_url: `${o.coreUrl}/attest`,
    core_api_token: o.operatorKey,
    optout_api_uri: `${o.optoutUrl}/optout/replicate`,
    // Resolved against the optout_url Core returns at attestation (§12.2).
    optout_metadata_path: '/optout/refresh',
    cloud_refresh_interval: String(o.optoutRefreshSeconds),
    operator_type: 'private',
    enclave_platform: '',
    uid_instance_id_prefix: `stack-operator-${o.index}`,
    host: '127.0.0.1',
    port: String(o.port),
    metrics_port: String(o.metricsPort),
    port_offset: '0',
  };
  for (const key of REFRESH_KEYS) env[key] = String(o.refreshMs);
  return { ...env, ...o.platform };
}
