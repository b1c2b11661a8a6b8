/**
 * The operator's config layers: the shared loader (src/config/config-layers.ts: defaults <
 * files in order < environment variables named like the keys < flags) over the operator's key
 * table (`config-keys.ts`), with `core_api_token` never echoed.
 */
import { coerceValue, layerConfigOf, type ConfigSchema, type ConfigSources } from '../../config/config-layers.ts';
import type { ConfigValue } from '../../config/config-keys.ts';
import { CONFIG_KEYS, SECRET_CONFIG_KEYS, type ConfigKey, type RawConfig } from './config-keys.ts';
import { parseOperatorConfig, type OperatorConfig } from './operator-config.ts';

export type { ConfigSources } from '../../config/config-layers.ts';

const OPERATOR_SCHEMA: ConfigSchema<typeof CONFIG_KEYS> = { keys: CONFIG_KEYS, secrets: SECRET_CONFIG_KEYS };

/** Checks a value from a JSON/YAML file, or coerces text from the environment or a flag. */
export function coerceConfigValue(key: ConfigKey, value: unknown, origin: string, fromText: boolean): ConfigValue {
  return coerceValue(OPERATOR_SCHEMA, key, value, origin, fromText);
}

/** Merges every layer into one flat object of known keys (unknown file keys are ignored, as upstream). */
export function layerConfig(sources: ConfigSources): RawConfig {
  return layerConfigOf(OPERATOR_SCHEMA, sources);
}

/**
 * Layers the sources and parses them: the one entry point used at startup. Request threads get
 * the parsed result from the process and never read files, so the file parsers stay out of them.
 */
export function loadOperatorConfig(sources: ConfigSources): OperatorConfig {
  return parseOperatorConfig(layerConfig(sources));
}
