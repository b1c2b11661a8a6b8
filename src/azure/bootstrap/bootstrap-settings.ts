/**
 * The bootstrap's inputs, read once from the container environment (spec attestation-azure.md
 * §1.1 steps 2-3, §4): `VAULT_NAME`, `OPERATOR_KEY_SECRET_NAME`, `DEPLOYMENT_ENVIRONMENT` are
 * required (E03); `CORE_BASE_URL` / `OPTOUT_BASE_URL` are honoured only in integ.
 */
import { createHash } from 'node:crypto';
import { BootstrapError } from './bootstrap-error.ts';

export interface BootstrapSettings {
  vaultName: string;
  secretName: string;
  /** As given (validated later, unless validations are skipped). */
  environment: string;
  skipValidations: boolean;
  debugMode: boolean;
  coreBaseUrl: string;
  optoutBaseUrl: string;
  /** `azr-<6 hex>-<IMAGE_VERSION>`, replaces every `unknown` value in the config. */
  instanceIdPrefix: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

const REQUIRED = ['VAULT_NAME', 'OPERATOR_KEY_SECRET_NAME', 'DEPLOYMENT_ENVIRONMENT'] as const;

function isTrue(value: string | undefined): boolean {
  return (value ?? 'false').toLowerCase() === 'true';
}

/** Upstream hashes the wall-clock `HH:MM:SS` only to get a short varying tag per start. */
export function instanceIdPrefix(now: Date, imageVersion: string | undefined): string {
  const hhmmss = [now.getHours(), now.getMinutes(), now.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
  const tag = createHash('sha256').update(hhmmss).digest('hex').slice(0, 6);
  return `azr-${tag}-${imageVersion ?? 'unknown-version'}`;
}

export function readBootstrapSettings(env: Environment, now: Date = new Date()): BootstrapSettings {
  const missing = REQUIRED.filter((name) => !env[name]);
  if (missing.length > 0) throw new BootstrapError('E03', `required environment variables missing: ${missing.join(', ')}`);
  const environment = env.DEPLOYMENT_ENVIRONMENT as string;
  const integ = environment === 'integ';
  const lower = environment.toLowerCase();
  return {
    vaultName: env.VAULT_NAME as string,
    secretName: env.OPERATOR_KEY_SECRET_NAME as string,
    environment,
    skipValidations: isTrue(env.SKIP_VALIDATIONS),
    debugMode: isTrue(env.DEBUG_MODE),
    coreBaseUrl: integ && env.CORE_BASE_URL ? env.CORE_BASE_URL : `https://core-${lower}.uidapi.com`,
    optoutBaseUrl: integ && env.OPTOUT_BASE_URL ? env.OPTOUT_BASE_URL : `https://optout-${lower}.uidapi.com`,
    instanceIdPrefix: instanceIdPrefix(now, env.IMAGE_VERSION),
  };
}
