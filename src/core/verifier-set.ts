/**
 * The attestation protocols this Core accepts (spec attestation-azure.md §2.1): `trusted`,
 * `azure-cc` (MAA-signed SEV-SNP evidence) and the legacy `azure-sgx` (DCAP quotes).
 */
import { readFileSync } from 'node:fs';
import { AzureCcVerifier } from '../attestation/azure-cc-verifier.ts';
import { SgxDcapVerifier } from '../attestation/sgx/sgx-dcap-verifier.ts';
import { TrustedVerifier } from '../attestation/trusted-verifier.ts';
import { VerifierRegistry } from '../attestation/verifier-registry.ts';
import { ConfigError } from '../config/config-error.ts';
import type { CoreConfig } from './core-config.ts';

/** The PCK roots of `sgx_root_ca_pem_path`, or undefined for the verifier's default (Intel). */
function sgxRoots(config: CoreConfig): string | undefined {
  if (config.sgxRootCaPemPath === undefined) return undefined;
  try {
    return readFileSync(config.sgxRootCaPemPath, 'utf8');
  } catch {
    throw new ConfigError(`core config: cannot read sgx_root_ca_pem_path ${config.sgxRootCaPemPath}`);
  }
}

export function createVerifierRegistry(config: CoreConfig): VerifierRegistry {
  return new VerifierRegistry([
    new TrustedVerifier(),
    new AzureCcVerifier({ maaBaseUrl: config.maaServerBaseUrl, corePublicUrl: config.corePublicUrl }),
    new SgxDcapVerifier({ trustedRootsPem: sgxRoots(config) }),
  ]);
}
