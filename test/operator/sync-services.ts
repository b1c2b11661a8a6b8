/**
 * In-process Core + OptOut on a fresh demo data set, and the attested-mode operator config that
 * points at them, for the sync tests. Everything listens on 127.0.0.1 with OS-chosen ports.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCore, type CoreService } from '../../src/core/core-service.ts';
import { createDemoDataset, CORE_CONFIG_FILE, type DemoDataset } from '../../src/core/dataset/index.ts';
import { loadOperatorConfig, type ConfigSources } from '../../src/operator/config/config-layers.ts';
import type { OperatorConfig } from '../../src/operator/config/operator-config.ts';
import { startOptOutService, type RunningOptOutService } from '../../src/optout/optout-service.ts';
import { CORE_METADATA_PATHS } from '../../src/cli/stack/stack-config.ts';

export interface SyncServices {
  readonly dataset: DemoDataset;
  readonly core: CoreService;
  readonly optout: RunningOptOutService;
  /** Attested-mode operator config; `overrides` are extra config keys. */
  operatorConfig(overrides?: Record<string, string | number | boolean>): OperatorConfig;
  /** The same config as layered sources, for `startOperator`. */
  operatorSources(overrides?: Record<string, string | number | boolean>): ConfigSources;
  /** Restarts Core on the same port (after `core.close()`), for outage tests. */
  restartCore(): Promise<CoreService>;
  close(): Promise<void>;
}


export async function startSyncServices(): Promise<SyncServices> {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-sync-'));
  const dataset = await createDemoDataset({ out: dir, buckets: 1024 });
  const optout = await startOptOutService({ dataDir: dir, port: 0, logger: false });
  // Core hands operators the OptOut base URL at attestation (attestation-azure.md §1.4).
  const coreConfigPath = join(dir, CORE_CONFIG_FILE);
  const coreConfig = JSON.parse(await readFile(coreConfigPath, 'utf8')) as Record<string, unknown>;
  await writeFile(coreConfigPath, JSON.stringify({ ...coreConfig, optout_url: optout.url }));
  let core = await startCore({ dataDir: dir, port: 0, logger: false });
  const corePort = new URL(core.url).port;
  const sources = (overrides: Record<string, string | number | boolean> = {}): ConfigSources => ({
    files: [join(dir, 'operator-config.json')],
    flags: {
      ...CORE_METADATA_PATHS,
      storage_mock: false,
      core_attest_url: `${core.url}/attest`,
      core_api_token: dataset.operatorKey,
      optout_api_uri: `${optout.url}/optout/replicate`,
      optout_metadata_path: '/optout/refresh',
      port: 0,
      metrics_port: 0,
      host: '127.0.0.1',
      ...overrides,
    },
  });
  return {
    dataset,
    get core() {
      return core;
    },
    optout,
    operatorConfig(overrides = {}) {
      return loadOperatorConfig(sources(overrides));
    },
    operatorSources: sources,
    async restartCore() {
      core = await startCore({ dataDir: dir, port: Number(corePort), logger: false });
      return core;
    },
    async close() {
      await core.close().catch(() => undefined);
      await optout.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
