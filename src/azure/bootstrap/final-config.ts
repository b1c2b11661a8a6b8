/**
 * The operator's final config (spec attestation-azure.md §1.1 step 5, §4): `default-config.json`
 * overlaid with `{env}-uid2-config.json`, the placeholder hosts replaced by the environment's
 * base URLs, and each `unknown` value replaced by the instance-id prefix.
 *
 * Upstream does a plain text replace over the file, which would also rewrite "unknown" inside any
 * longer string; here only string values are rewritten, and `unknown` only as a whole value.
 * Upstream leaves the merge with the defaults to Vert.x config precedence; one file is simpler
 * for our operator CLI.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BootstrapError } from './bootstrap-error.ts';
import type { BootstrapSettings } from './bootstrap-settings.ts';

export const CORE_PLACEHOLDER = 'https://core.uidapi.com';
export const OPTOUT_PLACEHOLDER = 'https://optout.uidapi.com';
const INSTANCE_PLACEHOLDER = 'unknown';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function readJsonObject(path: string): Record<string, Json> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new BootstrapError('E03', `config file ${path} is unreadable or not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new BootstrapError('E03', `config file ${path} is not a JSON object`);
  }
  return parsed as Record<string, Json>;
}

function substitute(value: Json, settings: BootstrapSettings): Json {
  if (typeof value === 'string') {
    if (value === INSTANCE_PLACEHOLDER) return settings.instanceIdPrefix;
    return value.split(CORE_PLACEHOLDER).join(settings.coreBaseUrl).split(OPTOUT_PLACEHOLDER).join(settings.optoutBaseUrl);
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, settings));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, settings)]));
  }
  return value;
}

/** `confDir` holds `default-config.json` and `{integ,prod}-uid2-config.json`. */
export function buildFinalConfig(confDir: string, settings: BootstrapSettings): Record<string, Json> {
  const target = join(confDir, `${settings.environment}-uid2-config.json`);
  if (!existsSync(target)) throw new BootstrapError('E03', `no config for environment ${JSON.stringify(settings.environment)}`);
  const defaults = existsSync(join(confDir, 'default-config.json')) ? readJsonObject(join(confDir, 'default-config.json')) : {};
  const final = substitute({ ...defaults, ...readJsonObject(target) }, settings) as Record<string, Json>;
  // What upstream exports as env vars for the Java side (§1.1 step 7) becomes config here.
  final.azure_vault_name = settings.vaultName;
  final.azure_secret_name = settings.secretName;
  return final;
}
