/**
 * The attestation protocols this Core accepts (spec attestation-azure.md §2.1): `trusted`,
 * `azure-cc` (MAA-signed SEV-SNP evidence) and the legacy `azure-sgx` (DCAP quotes).
 */
import { AzureCcVerifier } from '../attestation/azure-cc-verifier.ts';
import { SgxDcapVerifier } from '../attestation/sgx/sgx-dcap-verifier.ts';
import { TrustedVerifier } from '../attestation/trusted-verifier.ts';
import { VerifierRegistry } from '../attestation/verifier-registry.ts';
import type { CoreConfig } from './core-config.ts';

export function createVerifierRegistry(config: CoreConfig): VerifierRegistry {
  return new VerifierRegistry([
    new TrustedVerifier(),
    new AzureCcVerifier({ maaBaseUrl: config.maaServerBaseUrl, corePublicUrl: config.corePublicUrl }),
    new SgxDcapVerifier(),
  ]);
}
