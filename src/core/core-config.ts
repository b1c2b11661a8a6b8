/**
 * Core's config (`DIR/core-config.json`; spec attestation-azure.md §4 "Core-side config"). The
 * upstream snake_case keys stop here: the rest of Core sees the typed `CoreConfig`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

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
}

export class CoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CoreConfigError';
  }
}

type Json = Record<string, unknown>;

function str(o: Json, key: string, fallback?: string): string {
  const v = o[key];
  if (typeof v === 'string' && v.length > 0) return v;
  if (v === undefined && fallback !== undefined) return fallback;
  throw new CoreConfigError(`core config: "${key}" must be a non-empty string`);
}

function int(o: Json, key: string, fallback: number): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  throw new CoreConfigError(`core config: "${key}" must be a positive integer`);
}

function bool(o: Json, key: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  throw new CoreConfigError(`core config: "${key}" must be a boolean`);
}

export function parseCoreConfig(json: unknown): CoreConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CoreConfigError('core config must be a JSON object');
  const o = json as Json;
  return {
    corePublicUrl: str(o, 'core_public_url', 'http://localhost:8088'),
    optoutUrl: str(o, 'optout_url', 'http://localhost:8081'),
    attTokenEncKey: str(o, 'att_token_enc_key'),
    attTokenEncSalt: str(o, 'att_token_enc_salt'),
    attTokenLifetimeSeconds: int(o, 'att_token_lifetime_seconds', 7200),
    // Upstream spells it `enforceJwt`; accept both.
    enforceJwt: bool(o, 'enforce_jwt', bool(o, 'enforceJwt', false)),
    maaServerBaseUrl: str(o, 'maa_server_base_url', 'https://sharedeus.eus.attest.azure.net'),
    storeRefreshMs: int(o, 'store_refresh_ms', 10_000),
    signedUrlTtlSeconds: int(o, 'signed_url_ttl_seconds', 300),
    privateOperatorsGetPublicStores: bool(o, 'private_operators_get_public_stores', false),
    sgxRootCaPemPath: o.sgx_root_ca_pem_path === undefined ? undefined : str(o, 'sgx_root_ca_pem_path'),
  };
}

export async function loadCoreConfig(path: string): Promise<CoreConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CoreConfigError(`cannot read core config ${path}`);
  }
  try {
    const config = parseCoreConfig(JSON.parse(text));
    const pemPath = config.sgxRootCaPemPath;
    return pemPath === undefined ? config : { ...config, sgxRootCaPemPath: resolve(dirname(path), pemPath) };
  } catch (err) {
    if (err instanceof CoreConfigError) throw err;
    throw new CoreConfigError(`core config ${path} is not valid JSON`);
  }
}
