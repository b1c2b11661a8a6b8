/**
 * `uid2 stack`: Core, OptOut and N attested operators as child processes on loopback (issue 4).
 *
 * 1. A fresh demo data set is written when DIR is empty (`createDemoDataset`).
 * 2. OptOut starts; Core's config gets its URL (Core hands it to operators at attestation).
 * 3. With `--attestation azure-cc` or `azure-sgx` the platform is simulated
 *    (`stack-attestation.ts`): a new operator key of that protocol, its simulated enclave id
 *    registered, Core pointed at the simulator's MAA or SGX test root.
 * 4. Core starts, then the operators, each attesting to Core and syncing every store from it.
 *
 * Every service must answer its health check before `startStack` resolves; `stop()` stops the
 * operators first, then Core, OptOut and the simulators.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { StorageKind } from '../../core/blob-backend.ts';
import { createDemoDataset, DEMO_CLIENT_FILE, OPERATOR_CONFIG_FILE, OPERATOR_KEY_FILE } from '../../core/dataset/index.ts';
import { ChildService } from './child-service.ts';
import { uploadStores } from './dataset-upload.ts';
import { freePort } from './free-port.ts';
import { prepareStackAttestation, type StackAttestation } from './stack-attestation.ts';
import { operatorEnv, patchServiceConfigs } from './stack-config.ts';

export type { StackAttestation } from './stack-attestation.ts';

export interface StackOptions {
  readonly dataDir: string;
  readonly operators?: number;
  readonly storage?: StorageKind;
  readonly attestation?: StackAttestation;
  /** Store poll period of operators and Core (ms). */
  readonly refreshMs?: number;
  /** Opt-out sync period of operators (s). */
  readonly optoutRefreshSeconds?: number;
  /** Salt buckets of a fresh data set. */
  readonly buckets?: number;
  /** Needed for `storage: 'azure'`. */
  readonly azureConnectionString?: string;
  readonly healthTimeoutMs?: number;
  /** `uid2 operator --threads` of each operator; default: the operator's (the CPU count). */
  readonly operatorThreads?: number;
  /** Further operator config keys as environment variables, e.g. `shutdown_drain_ms`. */
  readonly operatorEnv?: Readonly<Record<string, string>>;
}

export interface StackSummary {
  readonly core: string;
  readonly optout: string;
  readonly operators: string[];
  readonly api_key: string;
  readonly secret: string;
}

export interface RunningStack {
  readonly summary: StackSummary;
  readonly dataDir: string;
  readonly operatorKey: string;
  readonly core: ChildService;
  readonly optout: ChildService;
  readonly operators: ChildService[];
  /** Metrics URL of each operator, in the order of `operators`. */
  readonly operatorMetrics: string[];
  readonly healthTimeoutMs: number;
  stop(): Promise<void>;
}

export const CORE_CONTAINER = 'uid2-core';

export class StackError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackError';
  }
}

async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

async function readDataset(dir: string): Promise<{ apiKey: string; secret: string; operatorKey: string }> {
  try {
    const client = JSON.parse(await readFile(join(dir, DEMO_CLIENT_FILE), 'utf8')) as { api_key: string; secret: string };
    const operatorKey = (await readFile(join(dir, OPERATOR_KEY_FILE), 'utf8')).trim();
    return { apiKey: client.api_key, secret: client.secret, operatorKey };
  } catch {
    throw new StackError(`${dir} is neither empty nor a data set written by uid2 init (${DEMO_CLIENT_FILE}, ${OPERATOR_KEY_FILE})`);
  }
}

/** Attempts to start a service whose port another process took in the meantime (see free-port.ts). */
const PORT_ATTEMPTS = 3;

/**
 * Starts a service on freshly chosen ports and waits until it is healthy. `freePort` releases the
 * port before the child binds it, so a concurrent process can take it first: on EADDRINUSE the
 * service is started again on new ports. The running service is added to `started` (for stop).
 */
async function launch(
  started: Array<{ close(): Promise<void> }>,
  healthTimeoutMs: number,
  make: () => Promise<ChildService>,
): Promise<ChildService> {
  for (let attempt = 1; ; attempt++) {
    const service = await make();
    started.push(service);
    service.start();
    try {
      await service.waitHealthy(healthTimeoutMs);
      return service;
    } catch (err) {
      if (attempt >= PORT_ATTEMPTS || !service.recentOutput().includes('EADDRINUSE')) throw err;
      await service.stop();
      started.splice(started.indexOf(service), 1);
    }
  }
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const dir = resolve(options.dataDir);
  const storage = options.storage ?? 'fs';
  const attestation = options.attestation ?? 'trusted';
  const count = options.operators ?? 1;
  const refreshMs = options.refreshMs ?? 10_000;
  const healthTimeoutMs = options.healthTimeoutMs ?? 120_000;
  if (!Number.isSafeInteger(count) || count < 1) throw new StackError('--operators must be a positive integer');
  const connection = options.azureConnectionString;
  if (storage === 'azure' && !connection) throw new StackError('--storage azure needs AZURE_STORAGE_CONNECTION_STRING');

  if (await isEmptyDir(dir)) await createDemoDataset({ out: dir, buckets: options.buckets });
  const dataset = await readDataset(dir);
  const logs = join(dir, 'logs');
  await mkdir(logs, { recursive: true });
  const azureEnv: Record<string, string> = connection ? { AZURE_STORAGE_CONNECTION_STRING: connection } : {};
  const started: Array<{ close(): Promise<void> }> = [];
  const stop = async () => {
    for (const s of started.splice(0).reverse()) await s.close().catch(() => undefined);
  };

  try {
    const platform = await prepareStackAttestation(dir, attestation, dataset.operatorKey);
    started.push(...platform.closers);
    const operatorKey = platform.operatorKey;
    if (storage === 'azure') await uploadStores(dir, connection!, CORE_CONTAINER);

    const storageArgs = ['--storage', storage];
    // Core's URL is chosen first: OptOut checks the JWTs Core issues under it.
    let coreUrl = `http://127.0.0.1:${await freePort()}`;
    const plannedCoreUrl = coreUrl;
    let optoutUrl = '';
    const configure = () => patchServiceConfigs(dir, { optoutUrl, coreUrl, storeRefreshMs: refreshMs, extra: platform.coreConfig });
    const optout = await launch(started, healthTimeoutMs, async () => {
      optoutUrl = `http://127.0.0.1:${await freePort()}`;
      await configure();
      return new ChildService({
        name: 'optout',
        args: ['optout', '--data', dir, '--port', new URL(optoutUrl).port, '--host', '127.0.0.1', ...storageArgs],
        url: optoutUrl,
        env: azureEnv,
        logFile: join(logs, 'optout.log'),
      });
    });

    let coreAttempts = 0;
    const core = await launch(started, healthTimeoutMs, async () => {
      if (coreAttempts++ > 0) coreUrl = `http://127.0.0.1:${await freePort()}`;
      await configure();
      return new ChildService({
        name: 'core',
        args: ['core', '--data', dir, '--port', new URL(coreUrl).port, '--host', '127.0.0.1', '--public-url', coreUrl, ...storageArgs, '--container', CORE_CONTAINER],
        url: coreUrl,
        env: azureEnv,
        logFile: join(logs, 'core.log'),
      });
    });
    // Core had to move (its port was taken meanwhile): OptOut reads the new issuer on a restart.
    if (coreUrl !== plannedCoreUrl) await optout.restart(healthTimeoutMs);

    const launches = Array.from({ length: count }, (_, i) => {
      let metricsPort = 0;
      return launch(started, healthTimeoutMs, async () => {
        const port = await freePort();
        metricsPort = await freePort();
        return new ChildService({
          name: `operator-${i}`,
          // The data set's operator config supplies the demo settings; the environment adds attested mode.
          args: ['operator', '--data', dir, '--config', join(dir, OPERATOR_CONFIG_FILE), ...(options.operatorThreads ? ['--threads', String(options.operatorThreads)] : [])],
          url: `http://127.0.0.1:${port}`,
          env: {
            ...operatorEnv({
              index: i,
              coreUrl,
              optoutUrl: optout.url,
              operatorKey,
              port,
              metricsPort,
              refreshMs,
              optoutRefreshSeconds: options.optoutRefreshSeconds ?? Math.max(1, Math.round(refreshMs / 1000)),
              platform: platform.operatorEnv,
            }),
            ...options.operatorEnv,
          },
          logFile: join(logs, `operator-${i}.log`),
        });
      }).then((op) => ({ op, metrics: `http://127.0.0.1:${metricsPort}/metrics` }));
    });
    const launched = await Promise.all(launches);
    const operators = launched.map((l) => l.op);
    const operatorMetrics = launched.map((l) => l.metrics);

    return {
      summary: { core: core.url, optout: optout.url, operators: operators.map((o) => o.url), api_key: dataset.apiKey, secret: dataset.secret },
      dataDir: dir,
      operatorKey,
      core,
      optout,
      operators,
      operatorMetrics,
      healthTimeoutMs,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
