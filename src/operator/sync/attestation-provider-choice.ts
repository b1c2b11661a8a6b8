/**
 * Which platform evidence the operator sends (spec attestation-azure.md §1.1 step 8, §1.3):
 * - `enclave_platform` unset or empty → no attestation (Core's `trusted` protocol accepts the
 *   single byte 0x00, upstream `NoAttestationProvider`);
 * - `azure-cc` → MAA token through the SKR sidecar (`skr_url`, `maa_server_base_url`);
 * - `azure-sgx` → raw DCAP quote from the native helper (`sgx_quote_helper`, default
 *   /bin/sgx_quote inside the Occlum image, §3.4).
 * Other platforms (aws-nitro, gcp-oidc) are not supported by this operator and fail startup.
 */
import { AzureCcSkrProvider, DEFAULT_MAA_BASE_URL, DEFAULT_SKR_URL } from '../../attestation/azure-cc-provider.ts';
import { DEFAULT_SGX_QUOTE_HELPER, HelperQuoteSource } from '../../attestation/sgx/quote-source.ts';
import { SgxQuoteProvider } from '../../attestation/sgx/sgx-quote-provider.ts';
import type { AttestationProvider } from '../../attestation/types.ts';
import type { AttestationEndpoints, EnclavePlatform } from '../config/operator-config.ts';

export class NoAttestationProvider implements AttestationProvider {
  readonly name = 'trusted';

  async getAttestationRequest(): Promise<Buffer> {
    return Buffer.from([0x00]);
  }
}

export class UnsupportedPlatformError extends Error {
  readonly code = 'ERR_UNSUPPORTED_PLATFORM';

  constructor(platform: string) {
    super(`enclave_platform "${platform}" is not supported by this operator (use an empty value, azure-cc or azure-sgx)`);
    this.name = 'UnsupportedPlatformError';
  }
}

export function attestationProviderFor(platform: EnclavePlatform, endpoints: AttestationEndpoints = {}): AttestationProvider {
  if (platform === undefined) return new NoAttestationProvider();
  if (platform === 'azure-cc') {
    return new AzureCcSkrProvider({ skrUrl: endpoints.skrUrl ?? DEFAULT_SKR_URL, maaBaseUrl: endpoints.maaBaseUrl ?? DEFAULT_MAA_BASE_URL });
  }
  if (platform === 'azure-sgx') {
    return new SgxQuoteProvider(new HelperQuoteSource({ helperPath: endpoints.sgxQuoteHelper ?? DEFAULT_SGX_QUOTE_HELPER }));
  }
  throw new UnsupportedPlatformError(platform);
}
