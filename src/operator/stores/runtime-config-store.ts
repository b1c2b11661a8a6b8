/**
 * Runtime config (spec §11): lifetimes and identity environment delivered inline in the
 * runtime_config metadata (`{"version", "runtime_config": {...}}`). When present it overrides the
 * static config's values, as upstream's remote config does.
 */
import type { IdentityEnvironmentName } from '../../protocol/identity-kinds.ts';
import { ConfigError } from '../config/config-error.ts';
import {
  lifetimesFrom,
  parseIdentityEnvironmentName,
  type OperatorConfig,
  type TokenLifetimes,
} from '../config/operator-config.ts';
import type { StoreDefinition, Versioned } from './store-definition.ts';
import { StoreFormatError, asObject, metadataVersion } from './store-json.ts';

export interface RuntimeConfigSnapshot extends Versioned {
  readonly lifetimes: TokenLifetimes;
  readonly identityEnvironment: IdentityEnvironmentName;
}

export function buildRuntimeConfigSnapshot(metadata: unknown): RuntimeConfigSnapshot {
  const version = metadataVersion(metadata, 'runtime_config');
  const body = asObject(asObject(metadata, 'runtime_config metadata').runtime_config, 'runtime_config metadata.runtime_config');
  try {
    const lifetimes = lifetimesFrom(body, 'runtime_config');
    if (!lifetimes) throw new ConfigError('runtime_config: token lifetimes are required');
    const env = parseIdentityEnvironmentName(typeof body.identity_environment === 'string' ? body.identity_environment : undefined, 'runtime_config');
    if (!env) throw new ConfigError('runtime_config: "identity_environment" is required');
    return Object.freeze({ version, entryCount: 1, lifetimes, identityEnvironment: env });
  } catch (err) {
    if (err instanceof ConfigError) throw new StoreFormatError(err.message);
    throw err;
  }
}

export const runtimeConfigStore: StoreDefinition<RuntimeConfigSnapshot> = {
  name: 'runtime_config',
  async load(metadata) {
    return buildRuntimeConfigSnapshot(metadata);
  },
};

/** What token issuing uses: the runtime store's values, else the static config's. */
export interface EffectiveRuntime {
  readonly lifetimes: TokenLifetimes;
  readonly identityEnvironment: IdentityEnvironmentName;
}

export function effectiveRuntime(config: OperatorConfig, runtime: RuntimeConfigSnapshot | undefined): EffectiveRuntime {
  if (runtime) return runtime;
  if (!config.staticLifetimes) {
    throw new ConfigError('token lifetimes are not configured: set identity_token_expires_after_seconds, refresh_token_expires_after_seconds and refresh_identity_token_after_seconds, or provide runtime_config');
  }
  return { lifetimes: config.staticLifetimes, identityEnvironment: config.staticIdentityEnvironment ?? 'test' };
}
