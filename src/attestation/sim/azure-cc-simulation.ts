/**
 * The simulated azure-cc platform in one call, for `uid2 stack --attestation azure-cc` and tests:
 * a MAA simulator and an SKR simulator wired to it over http, plus what the operator (provider
 * options) and Core (verifier options, enclave id to register) must be configured with.
 */
import { MaaSimulator, type MaaKnobs } from './maa-service.ts';
import { DEFAULT_SIM_POLICY, SkrSimulator, policyDigest } from './skr-sidecar.ts';

export interface AzureCcSimulation {
  maa: MaaSimulator;
  skr: SkrSimulator;
  /** For `AzureCcSkrProvider` (operator side). */
  providerOptions: { skrUrl: string; maaBaseUrl: string };
  /** `maa_server_base_url` for `AzureCcVerifier` (Core side). */
  maaBaseUrl: string;
  /** The id Core must register for protocol azure-cc (sha256 hex of the policy text). */
  enclaveId: string;
  close(): Promise<void>;
}

export async function startAzureCcSimulation(
  options: { host?: string; skrPort?: number; policyText?: string; knobs?: MaaKnobs } = {},
): Promise<AzureCcSimulation> {
  const maa = new MaaSimulator({ host: options.host, knobs: options.knobs });
  await maa.start();
  const policyText = options.policyText ?? DEFAULT_SIM_POLICY;
  const skr = new SkrSimulator({ host: options.host, port: options.skrPort ?? 0, policyText, maaScheme: 'http' });
  try {
    await skr.start();
  } catch (err) {
    await maa.close();
    throw err;
  }
  return {
    maa,
    skr,
    providerOptions: { skrUrl: skr.attestMaaUrl, maaBaseUrl: maa.baseUrl },
    maaBaseUrl: maa.baseUrl,
    enclaveId: policyDigest(policyText),
    close: async () => {
      await skr.close();
      await maa.close();
    },
  };
}
