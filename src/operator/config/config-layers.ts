/**
 * Layering of configuration sources: built-in defaults < config files in the order given <
 * environment variables named exactly like the keys (`core_api_token=...`) < command-line flags.
 * Files and flags are read once at startup; the result is a flat `RawConfig` of typed values.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CONFIG_KEYS, SECRET_CONFIG_KEYS, isConfigKey, type ConfigKey, type RawConfig } from './config-keys.ts';
import { ConfigError } from './config-error.ts';

export interface ConfigSources {
  /** Config files (JSON, or YAML by extension), later files override earlier ones. */
  readonly files?: readonly string[];
  /** Usually `process.env`. Only variables named exactly like a key are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Highest precedence, e.g. `--port`. Strings are coerced like environment values. */
  readonly flags?: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

type Value = string | number | boolean | null;

function describe(key: ConfigKey, value: unknown): string {
  return SECRET_CONFIG_KEYS.has(key) ? '(hidden)' : JSON.stringify(value);
}

/** Checks a value from a JSON/YAML file, or coerces text from the environment or a flag. */
export function coerceConfigValue(key: ConfigKey, value: unknown, origin: string, fromText: boolean): Value {
  if (value === null || value === undefined) return null;
  const kind = CONFIG_KEYS[key].kind;
  const fail = (): never => {
    throw new ConfigError(`${origin}: "${key}" must be ${kind === 'int' ? 'an integer' : `a ${kind === 'bool' ? 'boolean' : 'string'}`} (got ${describe(key, value)})`);
  };
  if (kind === 'string') return typeof value === 'string' ? value : fail();
  if (kind === 'bool') {
    if (typeof value === 'boolean') return value;
    if (fromText && typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
    return fail();
  }
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (fromText && typeof value === 'string' && /^-?\d+$/.test(value.trim())) {
    const n = Number(value.trim());
    if (Number.isSafeInteger(n)) return n;
  }
  return fail();
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch {
    throw new ConfigError(`config file ${path} is not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold an object of keys`);
  }
  return parsed as Record<string, unknown>;
}

/** Merges every layer into one flat object of known keys (unknown file keys are ignored, as upstream). */
export function layerConfig(sources: ConfigSources): RawConfig {
  const raw: RawConfig = {};
  for (const [key, d] of Object.entries(CONFIG_KEYS)) raw[key as ConfigKey] = d.default;
  for (const file of sources.files ?? []) {
    for (const [key, value] of Object.entries(readConfigFile(file))) {
      if (isConfigKey(key)) raw[key] = coerceConfigValue(key, value, file, false);
    }
  }
  for (const [key, value] of Object.entries(sources.env ?? {})) {
    if (value !== undefined && isConfigKey(key)) raw[key] = coerceConfigValue(key, value, 'environment', true);
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    if (!isConfigKey(key)) throw new ConfigError(`unknown config flag "${key}"`);
    raw[key] = coerceConfigValue(key, value, 'command line', true);
  }
  return raw;
}
