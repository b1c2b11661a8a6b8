/**
 * The azure-cc bootstrap (spec attestation-azure.md §1.1): one test per error code with the
 * environment that causes it, and a happy path that stops at `startOperator` with the final config
 * checked. Key Vault, managed identity and the SKR sidecar are the simulators, over real HTTP(S).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForSidecar } from '../../src/attestation/azure-cc-provider.ts';
import { SkrSimulator } from '../../src/attestation/sim/skr-sidecar.ts';
import { runAzureBootstrap, type BootstrapOptions, type OperatorLaunch } from '../../src/azure/bootstrap/azure-bootstrap.ts';
import { BootstrapError, type BootstrapErrorCode } from '../../src/azure/bootstrap/bootstrap-error.ts';
import { instanceIdPrefix } from '../../src/azure/bootstrap/bootstrap-settings.ts';
import { checkConnectivity } from '../../src/azure/bootstrap/connectivity-check.ts';
import { KeyVaultKeySource } from '../../src/azure/key-vault-key-source.ts';
import { KeyVaultSimulator } from '../../src/azure/sim/key-vault-service.ts';
import { ManagedIdentitySimulator } from '../../src/azure/sim/managed-identity-endpoint.ts';
import { repoRoot } from '../support/shared.ts';

const INTEG_KEY = 'UID2-O-I-42-integ0000000000000000000000000000000000';
const PROD_KEY = 'UID2-O-P-42-prod00000000000000000000000000000000000';
const confDir = join(repoRoot, 'deploy', 'conf');
const identity = new ManagedIdentitySimulator();
const vault = new KeyVaultSimulator({ identity, secrets: { 'integ-key': INTEG_KEY, 'prod-key': PROD_KEY } });
const skr = new SkrSimulator();
let workDir: string;

before(async () => {
  await identity.start();
  await vault.start();
  await skr.start();
  Object.assign(process.env, identity.environment());
  workDir = mkdtempSync(join(tmpdir(), 'uid2-bootstrap-'));
});

after(async () => {
  await skr.close();
  await vault.close();
  await identity.close();
  rmSync(workDir, { recursive: true, force: true });
});

const INTEG_ENV = {
  VAULT_NAME: 'uid-operator-vault',
  OPERATOR_KEY_SECRET_NAME: 'integ-key',
  DEPLOYMENT_ENVIRONMENT: 'integ',
  CORE_BASE_URL: 'https://core-integ.example.test',
  OPTOUT_BASE_URL: 'https://optout-integ.example.test',
  IMAGE_VERSION: '5.70.250-azure-cc',
};

interface Run {
  launches: OperatorLaunch[];
  checkedUrls: string[];
  finalConfigPath: string;
  result: Promise<number | void>;
}

function run(env: Record<string, string | undefined>, overrides: Partial<BootstrapOptions> = {}): Run {
  const launches: OperatorLaunch[] = [];
  const checkedUrls: string[] = [];
  const finalConfigPath = join(workDir, `final-${Math.random().toString(36).slice(2)}.json`);
  const result = runAzureBootstrap({
    env,
    confDir,
    finalConfigPath,
    keySource: (s) =>
      new KeyVaultKeySource({
        vaultName: s.vaultName,
        secretName: s.secretName,
        vaultUrl: vault.vaultUrl,
        trustedCaPem: vault.certificate.certPem,
        disableChallengeResourceVerification: true,
        maxRetries: 0,
      }),
    checkConnectivity: async (urls) => void checkedUrls.push(...urls),
    waitForSidecar: () => waitForSidecar({ baseUrl: skr.baseUrl, attempts: 2, stepMs: 1 }),
    startOperator: async (launch) => {
      launches.push(launch);
      return 0;
    },
    ...overrides,
  });
  return { launches, checkedUrls, finalConfigPath, result };
}

async function expectCode(r: Run, code: BootstrapErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(r.result, (err: unknown) => {
    assert.ok(err instanceof BootstrapError, String(err));
    assert.equal(err.code, code, err.describe());
    if (message) assert.match(err.message, message);
    assert.ok(!err.message.includes(INTEG_KEY) && !err.message.includes(PROD_KEY), 'no key in messages');
    return true;
  });
  assert.equal(r.launches.length, 0, 'the operator must not start');
}

test('happy path (integ): key from Key Vault, URLs substituted, instance prefix set, stops at startOperator', async () => {
  const r = run(INTEG_ENV);
  assert.equal(await r.result, 0);
  assert.equal(r.launches.length, 1);
  const [launch] = r.launches;
  assert.equal(launch.operatorKey, INTEG_KEY);
  assert.equal(launch.configPath, r.finalConfigPath);
  assert.deepEqual(r.checkedUrls, [INTEG_ENV.CORE_BASE_URL, INTEG_ENV.OPTOUT_BASE_URL]);
  const config = JSON.parse(readFileSync(r.finalConfigPath, 'utf8'));
  assert.equal(config.core_attest_url, 'https://core-integ.example.test/attest');
  assert.equal(config.salts_metadata_path, 'https://core-integ.example.test/salt/refresh');
  assert.equal(config.optout_metadata_path, 'https://optout-integ.example.test/optout/refresh');
  assert.equal(config.enclave_platform, 'azure-cc');
  assert.equal(config.operator_type, 'private');
  assert.equal(config.azure_vault_name, 'uid-operator-vault');
  assert.equal(config.azure_secret_name, 'integ-key');
  assert.match(config.uid_instance_id_prefix, /^azr-[0-9a-f]{6}-5\.70\.250-azure-cc$/);
  assert.equal(JSON.stringify(config).includes('unknown'), false);
  assert.equal(JSON.stringify(config).includes('https://core.uidapi.com'), false);
  assert.equal(JSON.stringify(config).includes(INTEG_KEY), false, 'the key stays out of the file');
  assert.equal(statSync(r.finalConfigPath).mode & 0o077, 0);
});

test('prod ignores CORE_BASE_URL/OPTOUT_BASE_URL and uses the prod hosts', async () => {
  const r = run({ ...INTEG_ENV, DEPLOYMENT_ENVIRONMENT: 'prod', OPERATOR_KEY_SECRET_NAME: 'prod-key' });
  await r.result;
  const config = JSON.parse(readFileSync(r.finalConfigPath, 'utf8'));
  assert.equal(config.core_attest_url, 'https://core-prod.uidapi.com/attest');
  assert.equal(config.optout_api_uri, 'https://optout-prod.uidapi.com/optout/replicate');
  assert.equal(config.identity_token_expires_after_seconds, 259200);
});

test('E03: each required variable missing', async () => {
  for (const name of ['VAULT_NAME', 'OPERATOR_KEY_SECRET_NAME', 'DEPLOYMENT_ENVIRONMENT'] as const) {
    await expectCode(run({ ...INTEG_ENV, [name]: undefined }), 'E03', new RegExp(name));
  }
});

test('E03: no config file for the environment when validations are skipped', async () => {
  await expectCode(run({ ...INTEG_ENV, DEPLOYMENT_ENVIRONMENT: 'staging', SKIP_VALIDATIONS: 'true' }), 'E03');
});

test('E02: the secret does not exist in the vault', async () => {
  await expectCode(run({ ...INTEG_ENV, OPERATOR_KEY_SECRET_NAME: 'missing-secret' }), 'E02');
});

test('E08: the managed identity may not read the vault', async () => {
  vault.readers.clear();
  try {
    await expectCode(run(INTEG_ENV), 'E08');
  } finally {
    vault.readers.add(identity.principalId);
  }
});

test('E04: unknown environment, debug in prod, http URL, URL of another environment', async () => {
  await expectCode(run({ ...INTEG_ENV, DEPLOYMENT_ENVIRONMENT: 'staging' }), 'E04', /integ or prod/);
  await expectCode(run({ ...INTEG_ENV, DEPLOYMENT_ENVIRONMENT: 'prod', OPERATOR_KEY_SECRET_NAME: 'prod-key', DEBUG_MODE: 'true' }), 'E04', /DEBUG_MODE/);
  await expectCode(run({ ...INTEG_ENV, CORE_BASE_URL: 'http://core-integ.example.test' }), 'E04', /https/);
  await expectCode(run({ ...INTEG_ENV, OPTOUT_BASE_URL: 'https://optout-prod.uidapi.com' }), 'E04', /integ/);
});

test('E05: a prod key in integ and an integ key in prod', async () => {
  await expectCode(run({ ...INTEG_ENV, OPERATOR_KEY_SECRET_NAME: 'prod-key' }), 'E05');
  await expectCode(run({ ...INTEG_ENV, DEPLOYMENT_ENVIRONMENT: 'prod', OPERATOR_KEY_SECRET_NAME: 'integ-key' }), 'E05');
});

test('SKIP_VALIDATIONS=true lets a mismatched key and an http URL through', async () => {
  const r = run({ ...INTEG_ENV, OPERATOR_KEY_SECRET_NAME: 'prod-key', CORE_BASE_URL: 'http://127.0.0.1:8088', SKIP_VALIDATIONS: 'true' });
  await r.result;
  assert.equal(r.checkedUrls.length, 0);
  assert.equal(JSON.parse(readFileSync(r.finalConfigPath, 'utf8')).core_attest_url, 'http://127.0.0.1:8088/attest');
});

test('E06: Core unreachable (real connectivity check)', async () => {
  const r = run({ ...INTEG_ENV, CORE_BASE_URL: 'https://127.0.0.1:1/core-integ' }, { checkConnectivity: (urls) => checkConnectivity(urls, { timeoutMs: 2000 }) });
  await expectCode(r, 'E06');
});

test('the connectivity check accepts any HTTP answer', async () => {
  const server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    await checkConnectivity([`http://127.0.0.1:${port}/`], { timeoutMs: 2000 });
  } finally {
    server.close();
  }
  await assert.rejects(checkConnectivity(['http://127.0.0.1:1/'], { timeoutMs: 2000 }), (e: unknown) => e instanceof BootstrapError && e.code === 'E06');
});

test('the SKR sidecar never answering stops the bootstrap before the operator starts', async () => {
  const r = run(INTEG_ENV, { waitForSidecar: () => waitForSidecar({ baseUrl: 'http://127.0.0.1:1', attempts: 2, stepMs: 1 }) });
  await expectCode(r, 'UNEXPECTED', /SKR/);
});

test('the instance-id prefix hashes HH:MM:SS', () => {
  const at = new Date(2026, 0, 1, 9, 5, 7);
  assert.equal(instanceIdPrefix(at, '1.0'), instanceIdPrefix(new Date(2026, 5, 3, 9, 5, 7), '1.0'));
  assert.notEqual(instanceIdPrefix(at, '1.0'), instanceIdPrefix(new Date(2026, 0, 1, 9, 5, 8), '1.0'));
});
