/**
 * Which platform evidence the operator sends (spec attestation-azure.md §1.1 step 8, §1.3):
 * `enclave_platform` unset or empty → no attestation (Core's `trusted` protocol accepts the single
 * byte 0x00, upstream `NoAttestationProvider`); `azure-cc` → MAA token through the SKR sidecar.
 * Other platforms are not supported by this operator and fail startup.
 */
import { AzureCcSkrProvider, DEFAULT_MAA_BASE_URL, DEFAULT_SKR_URL } from '../../attestation/azure-cc-provider.ts';
import type { AttestationProvider } from '../../attestation/types.ts';
import type { EnclavePlatform } from '../config/operator-config.ts';

export class NoAttestationProvider implements AttestationProvider {
  readonly name = 'trusted';

  async getAttestationRequest(): Promise<Buffer> {
    return Buffer.from([0x00]);
  }
}

export interface AzureCcSettings {
  /** The sidecar's `/attest/maa` URL (upstream hard-codes `http://localhost:9000/attest/maa`). */
  readonly skrUrl?: string;
  /** `maa_server_base_url`. */
  readonly maaBaseUrl?: string;
}

export class UnsupportedPlatformError extends Error {
  constructor(platform: string) {
    super(`enclave_platform "${platform}" is not supported by this operator (use none or azure-cc)`);
    this.name = 'UnsupportedPlatformError';
  }
}

export function attestationProviderFor(platform: EnclavePlatform, azure: AzureCcSettings = {}): AttestationProvider {
  if (platform === undefined) return new NoAttestationProvider();
  if (platform === 'azure-cc') {
    return new AzureCcSkrProvider({ skrUrl: azure.skrUrl ?? DEFAULT_SKR_URL, maaBaseUrl: azure.maaBaseUrl ?? DEFAULT_MAA_BASE_URL });
  }
  throw new UnsupportedPlatformError(platform);
}
