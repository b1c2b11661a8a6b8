/**
 * Operator key from Key Vault through the managed identity, against the identity and Key Vault
 * simulators (spec attestation-azure.md §1.1 step 3, §6.1): the real @azure/identity and
 * @azure/keyvault-secrets clients, real HTTP/HTTPS on 127.0.0.1.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { KeyVaultError, KeyVaultKeySource, defaultVaultUrl } from '../../src/azure/key-vault-key-source.ts';
import { ManagedIdentitySimulator } from '../../src/azure/sim/managed-identity-endpoint.ts';
import { KeyVaultSimulator } from '../../src/azure/sim/key-vault-service.ts';

const OPERATOR_KEY = 'UID2-O-I-999-abcdefghijklmnopqrstuvwxyz0123456789ABCD';
const identity = new ManagedIdentitySimulator();
const vault = new KeyVaultSimulator({ identity, secrets: { 'operator-key': OPERATOR_KEY } });

before(async () => {
  await identity.start();
  await vault.start();
  // msal-node picks the identity source once per process, from these variables.
  Object.assign(process.env, identity.environment());
});

after(async () => {
  await vault.close();
  await identity.close();
});

function source(secretName: string): KeyVaultKeySource {
  return new KeyVaultKeySource({
    vaultName: 'uid-operator-vault',
    secretName,
    vaultUrl: vault.vaultUrl,
    trustedCaPem: vault.certificate.certPem,
    disableChallengeResourceVerification: true,
    maxRetries: 0,
  });
}

test('the default vault URL is https://{vault}.vault.azure.net', () => {
  assert.equal(defaultVaultUrl('my-vn-aks-vault'), 'https://my-vn-aks-vault.vault.azure.net');
});

// Runs first: msal-node caches tokens process-wide once one was issued.
test('a container group with no identity is permission (bootstrap E08)', async () => {
  identity.noIdentity = true;
  try {
    await assert.rejects(source('operator-key').getOperatorKey(), (err: unknown) => err instanceof KeyVaultError && err.kind === 'permission');
  } finally {
    identity.noIdentity = false;
  }
});

test('managed identity token + challenge + secret read returns the operator key', async () => {
  assert.equal(await source('operator-key').getOperatorKey(), OPERATOR_KEY);
});

test('a missing secret is not-found (bootstrap E02)', async () => {
  await assert.rejects(source('no-such-secret').getOperatorKey(), (err: unknown) => err instanceof KeyVaultError && err.kind === 'not-found');
});

test('an identity without a grant on the vault is permission (bootstrap E08)', async () => {
  vault.readers.clear();
  try {
    await assert.rejects(
      source('operator-key').getOperatorKey(),
      (err: unknown) => err instanceof KeyVaultError && err.kind === 'permission' && !err.message.includes(OPERATOR_KEY),
    );
  } finally {
    vault.readers.add(identity.principalId);
  }
});

test('the identity endpoint wants the Metadata header; the vault challenges anonymous calls', async () => {
  const res = await fetch(`${identity.baseUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x`);
  assert.equal(res.status, 400, 'IMDS requires the Metadata header');
  const ok = await fetch(`${identity.baseUrl}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net`, {
    headers: { Metadata: 'true' },
  });
  const body = (await ok.json()) as { token_type: string; access_token: string };
  assert.equal(body.token_type, 'Bearer');
  assert.equal(identity.lookup(body.access_token)?.resource, 'https://vault.azure.net');

  const challenge = await new Promise<{ status?: number; header?: string }>((resolve, reject) => {
    https
      .get(`${vault.vaultUrl}/secrets/operator-key?api-version=7.4`, { ca: vault.certificate.certPem }, (r) => {
        r.resume();
        resolve({ status: r.statusCode, header: r.headers['www-authenticate'] });
      })
      .on('error', reject);
  });
  assert.equal(challenge.status, 401);
  assert.match(challenge.header ?? '', /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[0-9a-f-]+", resource="https:\/\/vault\.azure\.net"$/);
});
