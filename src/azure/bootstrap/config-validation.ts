/**
 * `validate_configuration()` of upstream `confidential_compute.py` (spec attestation-azure.md
 * §1.1 step 4), minus connectivity (see `connectivity-check.ts`): E04 for bad values, E05 for an
 * operator key issued for the other environment.
 */
import { BootstrapError } from './bootstrap-error.ts';
import type { BootstrapSettings } from './bootstrap-settings.ts';

const ENVIRONMENTS = ['integ', 'prod'];
/** `UID2-<scope char>-<I|P|L>-<site id>-<rest>`; a key not matching skips the environment check. */
const OPERATOR_KEY = /^(UID2|EUID)-.-(I|P|L)-\d+-.*$/;

export function validateConfiguration(settings: BootstrapSettings, operatorKey: string): void {
  const env = settings.environment;
  if (!ENVIRONMENTS.includes(env)) throw new BootstrapError('E04', `DEPLOYMENT_ENVIRONMENT must be integ or prod, got ${JSON.stringify(env)}`);
  if (settings.debugMode && env === 'prod') throw new BootstrapError('E04', 'DEBUG_MODE is not allowed in prod');
  for (const [name, value] of [
    ['core_base_url', settings.coreBaseUrl],
    ['optout_base_url', settings.optoutBaseUrl],
  ] as const) {
    if (!isHttps(value)) throw new BootstrapError('E04', `${name} must be an https URL`);
    if (env !== 'prod' && !value.includes(env)) throw new BootstrapError('E04', `${name} must point at the ${env} environment`);
  }
  if (OPERATOR_KEY.test(operatorKey)) {
    const expected = settings.debugMode || env === 'integ' ? 'I' : 'P';
    if (operatorKey.split('-')[2] !== expected) {
      throw new BootstrapError('E05', `operator key is not for this environment (expected an ${expected} key)`);
    }
  }
}

function isHttps(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
