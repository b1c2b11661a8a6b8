/**
 * How a local stack's operators attest (spec attestation-azure.md §1.3, §2.2-§2.4):
 *
 * - `trusted`: the data set's own operator key (protocol trusted); evidence is the byte 0x00.
 * - `azure-cc`: the MAA and SKR simulators run inside the stack process; Core verifies against the
 *   simulated MAA; a new azure-cc operator key is added and the simulated policy digest registered.
 * - `azure-sgx`: a simulated `sgx_quote` helper (`uid2 sgx sim-init`) signs DCAP quotes with a test
 *   PKI; Core trusts that test root (`sgx_root_ca_pem_path`); a new azure-sgx operator key is added
 *   and the simulated MRENCLAVE registered.
 *
 * Registration is idempotent so a stack can be restarted on the same data directory.
 */
import { join } from 'node:path';
import { addOperator, registerEnclave } from '../../core/admin/admin-records.ts';
import { startAzureCcSimulation } from '../../attestation/sim/azure-cc-simulation.ts';
import { openBlobBackend } from '../../core/blob-backend.ts';
import { DEMO_SITE_ID } from '../../core/dataset/index.ts';
import { readJsonStore } from '../../core/stores/store-reader.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import { writeSimulatedQuoteHelper } from './sgx-simulated-helper.ts';

export const STACK_ATTESTATIONS = ['trusted', 'azure-cc', 'azure-sgx'] as const;
export type StackAttestation = (typeof STACK_ATTESTATIONS)[number];

export interface StackAttestationSetup {
  /** The operator key the stack's operators use. */
  readonly operatorKey: string;
  /** Operator config keys (as environment variables): `enclave_platform` and its endpoints. */
  readonly operatorEnv: Readonly<Record<string, string>>;
  /** Core config keys to set for this run. */
  readonly coreConfig: Readonly<Record<string, string>>;
  /** Simulators to stop with the stack. */
  readonly closers: ReadonlyArray<{ close(): Promise<void> }>;
}

async function ensureEnclave(store: BlobStore, protocol: string, id: string, name: string): Promise<void> {
  const existing = (await readJsonStore(store, 'enclaves')).records as Array<{ protocol?: unknown; identifier?: unknown }>;
  if (existing.some((e) => e.protocol === protocol && e.identifier === id)) return;
  await registerEnclave(store, { protocol, id, name }, Date.now());
}

async function addStackOperator(store: BlobStore, protocol: string): Promise<string> {
  const record = { name: `Stack ${protocol} operator`, protocol, siteId: DEMO_SITE_ID, operatorType: 'PRIVATE' as const };
  return (await addOperator(store, record, Date.now())).key;
}

/** Prepares the data set in `dir` (fs layout, before any upload) for `attestation`. */
export async function prepareStackAttestation(dir: string, attestation: StackAttestation, datasetOperatorKey: string): Promise<StackAttestationSetup> {
  if (attestation === 'trusted') return { operatorKey: datasetOperatorKey, operatorEnv: { enclave_platform: '' }, coreConfig: {}, closers: [] };
  // The data set's operator is `trusted`; these stacks run an operator key of their own protocol.
  const { store } = await openBlobBackend({ dataDir: dir, kind: 'fs', baseUrl: '' });
  if (attestation === 'azure-cc') {
    const simulation = await startAzureCcSimulation({ host: '127.0.0.1' });
    try {
      await ensureEnclave(store, 'azure-cc', simulation.enclaveId, 'stack simulated policy');
      return {
        operatorKey: await addStackOperator(store, 'azure-cc'),
        operatorEnv: { enclave_platform: 'azure-cc', skr_url: simulation.providerOptions.skrUrl, maa_server_base_url: simulation.providerOptions.maaBaseUrl },
        coreConfig: { maa_server_base_url: simulation.maaBaseUrl },
        closers: [simulation],
      };
    } catch (err) {
      await simulation.close();
      throw err;
    }
  }
  const helper = await writeSimulatedQuoteHelper(join(dir, 'sgx-simulator'));
  await ensureEnclave(store, 'azure-sgx', helper.mrEnclave, 'stack simulated enclave');
  return {
    operatorKey: await addStackOperator(store, 'azure-sgx'),
    operatorEnv: { enclave_platform: 'azure-sgx', sgx_quote_helper: helper.helperPath },
    coreConfig: { sgx_root_ca_pem_path: helper.rootCaPath },
    closers: [],
  };
}
