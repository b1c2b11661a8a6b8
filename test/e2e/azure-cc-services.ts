/**
 * In-process services for azure-cc end-to-end tests, all real HTTP on 127.0.0.1: a demo data set,
 * OptOut, the MAA and SKR simulators, and Core verifying azure-cc evidence against that MAA with
 * `core_public_url` equal to its own URL. The data set gets an azure-cc operator key, the
 * simulated policy digest as a registered enclave (spec attestation-azure.md §2.2, §2.3) and a
 * cloud encryption key for the operator's site (operator-spec.md §12.3).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaaSimulator } from '../../src/attestation/sim/maa-service.ts';
import { DEFAULT_SIM_POLICY, SkrSimulator, policyDigest } from '../../src/attestation/sim/skr-sidecar.ts';
import { freePort } from '../../src/cli/stack/free-port.ts';
import { addCloudKey, addOperator, registerEnclave } from '../../src/core/admin/admin-records.ts';
import { openBlobBackend } from '../../src/core/blob-backend.ts';
import { startCore, type CoreService } from '../../src/core/core-service.ts';
import { CORE_CONFIG_FILE, createDemoDataset, DEMO_SITE_ID, type DemoDataset } from '../../src/core/dataset/index.ts';
import { startOptOutService, type RunningOptOutService } from '../../src/optout/optout-service.ts';

export interface AzureCcServices {
  readonly dir: string;
  readonly dataset: DemoDataset;
  readonly maa: MaaSimulator;
  readonly skr: SkrSimulator;
  readonly optout: RunningOptOutService;
  readonly core: CoreService;
  /** Core's URL, which is also its `core_public_url`. */
  readonly coreUrl: string;
  /** An operator key whose protocol is azure-cc. */
  readonly operatorKey: string;
  /** The registered enclave id: the digest of the SKR simulator's default policy. */
  readonly enclaveId: string;
  /** Puts the simulators back to an honest, registered enclave. */
  resetKnobs(): void;
  close(): Promise<void>;
}

export async function startAzureCcServices(): Promise<AzureCcServices> {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-azcc-'));
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const dataset = await createDemoDataset({ out: dir, buckets: 64 });
    const maa = new MaaSimulator();
    await maa.start();
    closers.push(() => maa.close());
    const skr = new SkrSimulator({ maaScheme: 'http' });
    await skr.start();
    closers.push(() => skr.close());

    const { store } = await openBlobBackend({ dataDir: dir, kind: 'fs', baseUrl: '' });
    const operator = await addOperator(store, { name: 'azure-cc e2e operator', protocol: 'azure-cc', siteId: DEMO_SITE_ID, operatorType: 'PRIVATE' }, Date.now());
    const enclaveId = policyDigest(DEFAULT_SIM_POLICY);
    await registerEnclave(store, { protocol: 'azure-cc', id: enclaveId, name: 'simulated policy' }, Date.now());
    // The azure-cc configs (deploy/conf) set encrypted_files: Core encrypts with the site's cloud key.
    await addCloudKey(store, { siteId: DEMO_SITE_ID }, Date.now());

    // Started after the operator key exists: OptOut authenticates operators from its own store copy.
    const optout = await startOptOutService({ dataDir: dir, port: 0, logger: false });
    closers.push(() => optout.close());
    const configPath = join(dir, CORE_CONFIG_FILE);
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    // Polling off (1 h): the enclave and operator stores were written before Core starts.
    await writeFile(configPath, JSON.stringify({ ...config, optout_url: optout.url, maa_server_base_url: maa.baseUrl, store_refresh_ms: 3_600_000 }));
    const port = await freePort();
    const coreUrl = `http://127.0.0.1:${port}`;
    const core = await startCore({ dataDir: dir, port, host: '127.0.0.1', publicUrl: coreUrl, logger: false });
    closers.push(() => core.close());
    return {
      dir,
      dataset,
      maa,
      skr,
      optout,
      core,
      coreUrl,
      operatorKey: operator.key,
      enclaveId,
      resetKnobs() {
        maa.knobs = {};
        skr.policyText = DEFAULT_SIM_POLICY;
        skr.debuggable = false;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
