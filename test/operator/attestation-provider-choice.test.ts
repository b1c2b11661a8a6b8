/** `enclave_platform` -> attestation provider (spec attestation-azure.md §1.1 step 8, §1.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AzureCcSkrProvider } from '../../src/attestation/azure-cc-provider.ts';
import { SgxQuoteProvider } from '../../src/attestation/sgx/sgx-quote-provider.ts';
import { QuoteSourceError } from '../../src/attestation/sgx/quote-source.ts';
import { loadOperatorConfig } from '../../src/operator/config/config-layers.ts';
import { attestationProviderFor, UnsupportedPlatformError } from '../../src/operator/sync/attestation-provider-choice.ts';

test('unset or empty enclave_platform is trusted: the evidence is the single byte 0x00', async () => {
  for (const value of [undefined, '']) {
    const config = loadOperatorConfig({ flags: { enclave_platform: value } });
    const provider = attestationProviderFor(config.enclavePlatform, config.attestationEndpoints);
    assert.equal(provider.name, 'trusted');
    assert.deepEqual(await provider.getAttestationRequest(Buffer.alloc(294), Buffer.from('x')), Buffer.from([0]));
  }
});

test('azure-cc and azure-sgx get their providers; skr_url, maa_server_base_url, sgx_quote_helper are config keys (file or env)', async () => {
  const config = loadOperatorConfig({
    flags: { enclave_platform: 'azure-cc' },
    env: { skr_url: 'http://127.0.0.1:9/attest/maa', maa_server_base_url: 'http://127.0.0.1:8', sgx_quote_helper: '/nonexistent/sgx_quote' },
  });
  assert.deepEqual(config.attestationEndpoints, { skrUrl: 'http://127.0.0.1:9/attest/maa', maaBaseUrl: 'http://127.0.0.1:8', sgxQuoteHelper: '/nonexistent/sgx_quote' });
  assert.ok(attestationProviderFor('azure-cc', config.attestationEndpoints) instanceof AzureCcSkrProvider);
  const sgx = attestationProviderFor('azure-sgx', config.attestationEndpoints);
  assert.ok(sgx instanceof SgxQuoteProvider);
  // The configured helper is the one run: a missing helper is a QuoteSourceError, not a crash.
  await assert.rejects(sgx.getAttestationRequest(Buffer.alloc(294), Buffer.alloc(0)), QuoteSourceError);
});

test('aws-nitro and gcp-oidc are refused with a clear error', () => {
  for (const platform of ['aws-nitro', 'gcp-oidc'] as const) {
    assert.throws(() => attestationProviderFor(platform), (err: unknown) => err instanceof UnsupportedPlatformError && err.message.includes(platform));
  }
});
