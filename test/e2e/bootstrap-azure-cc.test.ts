/**
 * The azure-cc container entry point end to end (deploy/azure-cc/Dockerfile CMD `uid2 bootstrap`,
 * spec attestation-azure.md §1.1): `uid2 bootstrap` reads the operator key from a simulated Key
 * Vault with a simulated managed identity, writes the final config from deploy/conf, waits for the
 * SKR sidecar and starts `uid2 operator --config <final config>` (attested mode, no data
 * directory). The operator attests through the SKR and MAA simulators to a real Core, loads its
 * stores from Core and becomes healthy; a token generated on it proves the stores are live.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyVaultSimulator } from '../../src/azure/sim/key-vault-service.ts';
import { ManagedIdentitySimulator } from '../../src/azure/sim/managed-identity-endpoint.ts';
import { Uid2Client } from '../../src/client/uid2-client.ts';
import { freePort } from '../../src/cli/stack/free-port.ts';
import { repoRoot } from '../support/shared.ts';
import { startAzureCcServices, type AzureCcServices } from './azure-cc-services.ts';
import { eventually } from './stack-support.ts';

let s: AzureCcServices;
const identity = new ManagedIdentitySimulator();
let vault: KeyVaultSimulator;

before(async () => {
  s = await startAzureCcServices();
  await identity.start();
  vault = new KeyVaultSimulator({ identity, secrets: { 'operator-key': s.operatorKey } });
  await vault.start();
});
after(async () => {
  await vault?.close();
  await identity.close();
  await s?.close();
});

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

test('uid2 bootstrap starts an attested azure-cc operator that becomes healthy and serves tokens', { timeout: 120_000 }, async () => {
  const caPath = join(s.dir, 'vault-ca.pem');
  await writeFile(caPath, vault.certificate.certPem);
  const finalConfig = join(s.dir, 'final-config.json');
  const port = await freePort();
  const metricsPort = await freePort();
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin', 'uid2.mjs'), 'bootstrap', '--vault-url', vault.vaultUrl, '--vault-ca', caPath, '--final-config', finalConfig, '--skr-url', s.skr.baseUrl],
    {
      env: {
        PATH: process.env.PATH ?? '',
        ...identity.environment(),
        VAULT_NAME: 'uid2-vault',
        OPERATOR_KEY_SECRET_NAME: 'operator-key',
        DEPLOYMENT_ENVIRONMENT: 'integ',
        // Local http URLs fail the https rule (E04); the checks themselves are covered by test/azure.
        SKIP_VALIDATIONS: 'true',
        CORE_BASE_URL: s.coreUrl,
        OPTOUT_BASE_URL: s.optout.url,
        // Simulator endpoints and loopback ports, as config keys in the environment.
        skr_url: s.skr.attestMaaUrl,
        maa_server_base_url: s.maa.baseUrl,
        host: '127.0.0.1',
        port: String(port),
        metrics_port: String(metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 110_000);
  try {
    const base = `http://127.0.0.1:${port}`;
    const exited = exitOf(child).then((code) => {
      throw new Error(`bootstrap exited early with ${code}: ${output.slice(-2000)}`);
    });
    const healthy = eventually('operator health', async () => (await fetch(`${base}/ops/healthcheck`, { signal: AbortSignal.timeout(2000) })).status === 200, 60_000);
    exited.catch(() => undefined);
    await Promise.race([healthy, exited]);
    const final = JSON.parse(await readFile(finalConfig, 'utf8'));
    assert.equal(final.enclave_platform, 'azure-cc');
    assert.equal(final.core_attest_url, `${s.coreUrl}/attest`);
    assert.equal('core_api_token' in final && final.core_api_token !== null, false, 'the key stays out of the file');
    assert.ok(s.maa.attestCount >= 1, 'the operator attested through the MAA simulator');

    const client = new Uid2Client({ baseUrl: base, apiKey: s.dataset.apiKey, secretKey: s.dataset.secret });
    const result = await client.generateToken({ email: 'bootstrap-e2e@example.com' });
    assert.equal(result.status, 'success');
    assert.equal(output.includes(s.operatorKey), false, 'the operator key is never printed');
    // The operator CLI reports it is up (once every request thread serves) before we stop it.
    await eventually('the listening line', async () => output.includes('operator listening on'), 30_000);
  } finally {
    child.kill('SIGTERM');
    const code = await exitOf(child);
    clearTimeout(killer);
    assert.equal(code, 0, `SIGTERM stops bootstrap and operator cleanly: ${output.slice(-2000)}`);
  }
});
