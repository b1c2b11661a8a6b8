/**
 * `uid2 bootstrap` as a process: the CLI wiring of Key Vault (URL, CA, managed identity from the
 * environment) and the error report. One child process, killed if it overstays.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyVaultSimulator } from '../../src/azure/sim/key-vault-service.ts';
import { ManagedIdentitySimulator } from '../../src/azure/sim/managed-identity-endpoint.ts';
import { repoRoot } from '../support/shared.ts';

const KEY = 'UID2-O-P-7-secretsecretsecretsecretsecretsecret';
const identity = new ManagedIdentitySimulator();
const vault = new KeyVaultSimulator({ identity, secrets: { 'prod-key': KEY } });
let dir: string;

before(async () => {
  await identity.start();
  await vault.start();
  dir = mkdtempSync(join(tmpdir(), 'uid2-bootstrap-cli-'));
  writeFileSync(join(dir, 'vault-ca.pem'), vault.certificate.certPem);
});

after(async () => {
  await vault.close();
  await identity.close();
  rmSync(dir, { recursive: true, force: true });
});

function runCli(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'uid2.mjs'), 'bootstrap', '--vault-url', vault.vaultUrl, '--vault-ca', join(dir, 'vault-ca.pem'), '--final-config', join(dir, 'final.json')],
      { env: { PATH: process.env.PATH ?? '', ...identity.environment(), ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test('uid2 bootstrap reports E02 for a missing secret and exits 1; E05 for a key of the wrong environment', async () => {
  const base = { VAULT_NAME: 'v', DEPLOYMENT_ENVIRONMENT: 'integ' };
  const missing = await runCli({ ...base, OPERATOR_KEY_SECRET_NAME: 'nope' });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\[E02\] OperatorKeyNotFoundError/);
  const wrongEnv = await runCli({ ...base, OPERATOR_KEY_SECRET_NAME: 'prod-key' });
  assert.equal(wrongEnv.code, 1);
  assert.match(wrongEnv.stderr, /\[E05\] OperatorKeyValidationError/);
  assert.equal(wrongEnv.stderr.includes(KEY), false, 'the key is never printed');
});
