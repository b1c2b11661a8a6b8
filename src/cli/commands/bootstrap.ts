/**
 * `uid2 bootstrap`: the azure-cc container entry point (upstream `azr.py`, spec
 * attestation-azure.md §1.1). Reads the environment, fetches the operator key from Key Vault with
 * the managed identity, validates, writes the final config, waits for the SKR sidecar, then runs
 * `uid2 operator --config <final config>` as a child with the key in `core_api_token` /
 * `optout_api_token` (environment variables named like config keys), and exits with its code.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { waitForSidecar } from '../../attestation/azure-cc-provider.ts';
import { runAzureBootstrap, type OperatorLaunch } from '../../azure/bootstrap/azure-bootstrap.ts';
import { BootstrapError } from '../../azure/bootstrap/bootstrap-error.ts';
import { KeyVaultKeySource } from '../../azure/key-vault-key-source.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface BootstrapCliOptions {
  confDir: string;
  finalConfig: string;
  skrUrl: string;
  vaultUrl?: string;
  vaultCa?: string;
  managedIdentityClientId?: string;
}

/** Runs the operator CLI as a child process and forwards termination signals to it. */
function spawnOperator(launch: OperatorLaunch): Promise<number> {
  const child = spawn(process.execPath, [`${repoRoot}bin/uid2.mjs`, 'operator', '--config', launch.configPath], {
    stdio: 'inherit',
    env: {
      ...process.env,
      core_api_token: launch.operatorKey,
      optout_api_token: launch.operatorKey,
      azure_vault_name: launch.settings.vaultName,
      azure_secret_name: launch.settings.secretName,
    },
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

export function register(program: Command): void {
  program
    .command('bootstrap')
    .description('azure-cc container entry point: Key Vault operator key, config checks (E02-E08), final config, SKR wait, start the operator')
    .option('--conf-dir <dir>', 'directory with default-config.json and {env}-uid2-config.json', `${repoRoot}deploy/conf`)
    .option('--final-config <file>', 'where the final config is written', '/tmp/final-config.json')
    .option('--skr-url <url>', 'SKR sidecar base URL', 'http://localhost:9000')
    .option('--vault-url <url>', 'Key Vault URL (default https://$VAULT_NAME.vault.azure.net)')
    .option('--vault-ca <file>', 'extra CA certificate (PEM) to trust for the vault; implies a local vault')
    .option('--managed-identity-client-id <id>', 'client id of a user-assigned managed identity')
    .action(async (opts: BootstrapCliOptions) => {
      try {
        const code = await runAzureBootstrap({
          env: process.env,
          confDir: opts.confDir,
          finalConfigPath: opts.finalConfig,
          keySource: (settings) =>
            new KeyVaultKeySource({
              vaultName: settings.vaultName,
              secretName: settings.secretName,
              vaultUrl: opts.vaultUrl,
              managedIdentityClientId: opts.managedIdentityClientId,
              trustedCaPem: opts.vaultCa ? readFileSync(opts.vaultCa, 'utf8') : undefined,
              disableChallengeResourceVerification: opts.vaultCa !== undefined,
            }),
          waitForSidecar: () => waitForSidecar({ baseUrl: opts.skrUrl }),
          startOperator: spawnOperator,
          log: (line) => process.stderr.write(`bootstrap: ${line}\n`),
        });
        process.exitCode = typeof code === 'number' ? code : 0;
      } catch (err) {
        const line = err instanceof BootstrapError ? err.describe() : `[UNEXPECTED] ${(err as Error).message?.split('\n')[0]}`;
        process.stderr.write(`bootstrap failed: ${line}\n`);
        process.exitCode = 1;
      }
    });
}
