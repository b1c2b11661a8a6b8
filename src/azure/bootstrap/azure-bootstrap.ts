/**
 * The azure-cc container entry point, the job of upstream `azr.py` (spec attestation-azure.md
 * §1.1): check the environment (E03), read the operator key from Key Vault (E02/E08), validate
 * unless `SKIP_VALIDATIONS` (E04/E05/E06), write the final config, wait for the SKR sidecar, then
 * start the operator.
 *
 * Every side effect is injectable so tests can stop at `startOperator`. Unlike upstream, which only
 * logs a startup failure and exits 0, a failure here is thrown (the CLI exits non-zero) so the
 * container restarts and alerting sees it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { waitForSidecar as waitForSkr } from '../../attestation/azure-cc-provider.ts';
import { KeyVaultError, KeyVaultKeySource, type OperatorKeySource } from '../key-vault-key-source.ts';
import { BootstrapError } from './bootstrap-error.ts';
import { readBootstrapSettings, type BootstrapSettings, type Environment } from './bootstrap-settings.ts';
import { validateConfiguration } from './config-validation.ts';
import { checkConnectivity } from './connectivity-check.ts';
import { buildFinalConfig } from './final-config.ts';

/** What the operator process needs: the config file, and the key (kept out of the file). */
export interface OperatorLaunch {
  configPath: string;
  operatorKey: string;
  settings: BootstrapSettings;
}

export interface BootstrapOptions {
  env: Environment;
  /** Holds default-config.json and {env}-uid2-config.json (deploy/conf in this repo). */
  confDir: string;
  /** Upstream: /tmp/final-config.json. */
  finalConfigPath: string;
  startOperator: (launch: OperatorLaunch) => Promise<number | void>;
  keySource?: (settings: BootstrapSettings) => OperatorKeySource;
  checkConnectivity?: (urls: string[]) => Promise<void>;
  waitForSidecar?: () => Promise<unknown>;
  now?: () => Date;
  log?: (line: string) => void;
}

export async function runAzureBootstrap(options: BootstrapOptions): Promise<number | void> {
  const log = options.log ?? (() => undefined);
  const settings = readBootstrapSettings(options.env, options.now?.() ?? new Date());
  log(`environment ${settings.environment}, vault ${settings.vaultName}, secret ${settings.secretName}`);

  const keySource = options.keySource?.(settings) ?? new KeyVaultKeySource({ vaultName: settings.vaultName, secretName: settings.secretName });
  const operatorKey = await readOperatorKey(keySource);
  log('operator key read from Key Vault');

  if (!settings.skipValidations) {
    validateConfiguration(settings, operatorKey);
    await (options.checkConnectivity ?? checkConnectivity)([settings.coreBaseUrl, settings.optoutBaseUrl]);
    log('configuration validated');
  }

  const finalConfig = buildFinalConfig(options.confDir, settings);
  mkdirSync(dirname(options.finalConfigPath), { recursive: true });
  writeFileSync(options.finalConfigPath, `${JSON.stringify(finalConfig, null, 2)}\n`, { mode: 0o600 });
  log(`final config written to ${options.finalConfigPath}`);

  try {
    await (options.waitForSidecar ?? (() => waitForSkr()))();
  } catch (err) {
    throw new BootstrapError('UNEXPECTED', `SKR sidecar not ready: ${(err as Error).message}`);
  }
  log('SKR sidecar ready; starting the operator');
  return options.startOperator({ configPath: options.finalConfigPath, operatorKey, settings });
}

async function readOperatorKey(source: OperatorKeySource): Promise<string> {
  try {
    return await source.getOperatorKey();
  } catch (err) {
    if (err instanceof KeyVaultError) {
      if (err.kind === 'not-found') throw new BootstrapError('E02', err.message);
      if (err.kind === 'permission') throw new BootstrapError('E08', err.message);
      throw new BootstrapError('UNEXPECTED', err.message);
    }
    throw new BootstrapError('UNEXPECTED', 'reading the operator key failed');
  }
}
