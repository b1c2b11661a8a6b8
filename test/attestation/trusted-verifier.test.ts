/** The trusted verifier and the verifier registry (spec attestation-azure.md §2.1). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrustedVerifier } from '../../src/attestation/trusted-verifier.ts';
import { VerifierRegistry } from '../../src/attestation/verifier-registry.ts';
import { AzureCcVerifier } from '../../src/attestation/azure-cc-verifier.ts';

test('trusted accepts any request and returns enclave id "trusted" with the given key', async () => {
  const key = Buffer.from('spki');
  assert.deepEqual(await new TrustedVerifier().verify(Buffer.from([0]), key), { ok: true, enclaveId: 'trusted', publicKey: key });
});

test('registry finds verifiers by protocol and routes enclave registrations', () => {
  const cc = new AzureCcVerifier({ corePublicUrl: 'http://core', maaBaseUrl: 'http://127.0.0.1:9' });
  const registry = new VerifierRegistry([new TrustedVerifier(), cc]);
  assert.deepEqual(registry.protocols(), ['azure-cc', 'trusted']);
  assert.equal(registry.get('aws-nitro'), undefined);
  assert.equal(registry.registerEnclave('azure-cc', 'abc'), true);
  assert.deepEqual(cc.allowlist(), ['abc']);
  assert.equal(registry.unregisterEnclave('azure-cc', 'abc'), true);
  assert.deepEqual(cc.allowlist(), []);
  assert.equal(registry.registerEnclave('gcp-oidc', 'x'), false);
  assert.throws(() => registry.add(new TrustedVerifier()));
});
