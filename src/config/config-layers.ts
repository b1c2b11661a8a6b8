/**
 * Layering of configuration sources, the same for every service: built-in defaults < config
 * files in the order given < environment variables named exactly like the keys
 * (`core_api_token=...`) < command-line flags. Files and flags are read once at startup; the
 * result is a flat object of typed values for the keys of one table (`config-keys.ts`).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.ts';
import type { ConfigKeyTable, ConfigValue, RawConfigOf } from './config-keys.ts';

export interface ConfigSources {
  /** Config files (JSON, or YAML by extension), later files override earlier ones. */
  readonly files?: readonly string[];
  /** Usually `process.env`. Only variables named exactly like a key are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Highest precedence, e.g. `--port`. Strings are coerced like environment values. */
  readonly flags?: Readonly<Record<string, string | number | boolean | null | undefined>>;
}

/** A table with the keys whose values are never echoed in an error message. */
export interface ConfigSchema<T extends ConfigKeyTable> {
  readonly keys: T;
  readonly secrets?: ReadonlySet<string>;
}

function describe(schema: ConfigSchema<ConfigKeyTable>, key: string, value: unknown): string {
  return schema.secrets?.has(key) ? '(hidden)' : JSON.stringify(value);
}

/** Checks a value from a JSON/YAML file, or coerces text from the environment or a flag. */
export function coerceValue<T extends ConfigKeyTable>(schema: ConfigSchema<T>, key: keyof T & string, value: unknown, origin: string, fromText: boolean): ConfigValue {
  if (value === null || value === undefined) return null;
  const kind = schema.keys[key].kind;
  const fail = (): never => {
    throw new ConfigError(`${origin}: "${key}" must be ${kind === 'int' ? 'an integer' : `a ${kind === 'bool' ? 'boolean' : 'string'}`} (got ${describe(schema, key, value)})`);
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

/** Reads one config file as an object of keys; a missing or malformed file is a `ConfigError`. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const yaml = /\.ya?ml$/i.test(path);
  let parsed: unknown;
  try {
    parsed = yaml ? parseYaml(text) : JSON.parse(text);
  } catch {
    throw new ConfigError(`config file ${path} is not valid ${yaml ? 'YAML' : 'JSON'}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold an object of keys`);
  }
  return parsed as Record<string, unknown>;
}

/** Merges every layer into one flat object of known keys (unknown file and environment keys are ignored, as upstream). */
export function layerConfigOf<T extends ConfigKeyTable>(schema: ConfigSchema<T>, sources: ConfigSources): RawConfigOf<T> {
  type Key = keyof T & string;
  const isKey = (name: string): name is Key => Object.hasOwn(schema.keys, name);
  const raw: Record<string, ConfigValue> = {};
  for (const [key, d] of Object.entries(schema.keys)) raw[key] = d.default;
  for (const file of sources.files ?? []) {
    for (const [key, value] of Object.entries(readConfigFile(file))) {
      if (isKey(key)) raw[key] = coerceValue(schema, key, value, file, false);
    }
  }
  for (const [key, value] of Object.entries(sources.env ?? {})) {
    if (value !== undefined && isKey(key)) raw[key] = coerceValue(schema, key, value, 'environment', true);
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    if (!isKey(key)) throw new ConfigError(`unknown config flag "${key}"`);
    raw[key] = coerceValue(schema, key, value, 'command line', true);
  }
  return raw as RawConfigOf<T>;
}
