/**
 * Core, OptOut and one attested operator as real child processes (`uid2 core|optout|operator`),
 * with the fault proxy between the operator and Core (issue 7 §3). Short poll periods keep the
 * suites quick; every process is stopped by `close()`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildService } from '../../../src/cli/stack/child-service.ts';
import type { RunningStack } from '../../../src/cli/stack/local-stack.ts';
import { freePort } from '../../../src/cli/stack/free-port.ts';
import { operatorEnv, patchServiceConfigs } from '../../../src/cli/stack/stack-config.ts';
import { Uid2Client } from '../../../src/client/uid2-client.ts';
import { createDemoDataset, OPERATOR_CONFIG_FILE, type DemoDataset } from '../../../src/core/dataset/index.ts';
import { eventually, metricOf } from '../../e2e/stack-support.ts';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';

export { eventually } from '../../e2e/stack-support.ts';

export const HEALTH_TIMEOUT_MS = 90_000;

export interface FaultStack {
  readonly dir: string;
  readonly dataset: DemoDataset;
  readonly proxy: FaultProxy;
  readonly core: ChildService;
  readonly optout: ChildService;
  readonly operator: ChildService;
  readonly client: Uid2Client;
  /** The value of one sample of an operator metric (Prometheus text), or undefined. */
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  close(): Promise<void>;
}

export interface FaultStackOptions {
  /** Extra environment for the operator process (e.g. a clock-skew preload). */
  readonly operatorEnv?: Record<string, string>;
  readonly refreshMs?: number;
}

export async function startFaultStack(o: FaultStackOptions = {}): Promise<FaultStack> {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-faults-'));
  const refreshMs = o.refreshMs ?? 500;
  const started: ChildService[] = [];
  let proxy: FaultProxy | undefined;
  const close = async () => {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const dataset = await createDemoDataset({ out: dir, buckets: 1024 });
    const service = (name: string, args: string[], port: number, env: Record<string, string> = {}) => {
      const s = new ChildService({ name, args, url: `http://127.0.0.1:${port}`, env, logFile: join(dir, `${name}.log`) });
      started.push(s);
      s.start();
      return s;
    };
    const optoutPort = await freePort();
    const corePort = await freePort();
    proxy = await startFaultProxy(corePort);
    // OptOut fetches Core's JWT key directly, not through the faults.
    await patchServiceConfigs(dir, {
      optoutUrl: `http://127.0.0.1:${optoutPort}`,
      coreUrl: proxy.url,
      coreJwksUrl: `http://127.0.0.1:${corePort}/.well-known/jwks.json`,
      storeRefreshMs: refreshMs,
    });
    const optout = service('optout', ['optout', '--data', dir, '--port', String(optoutPort), '--host', '127.0.0.1'], optoutPort);
    await optout.waitHealthy(HEALTH_TIMEOUT_MS);
    const core = service('core', ['core', '--data', dir, '--port', String(corePort), '--host', '127.0.0.1', '--public-url', proxy.url], corePort);
    await core.waitHealthy(HEALTH_TIMEOUT_MS);
    const port = await freePort();
    const metricsPort = await freePort();
    const env = operatorEnv({ index: 0, coreUrl: proxy.url, optoutUrl: optout.url, operatorKey: dataset.operatorKey, port, metricsPort, refreshMs, optoutRefreshSeconds: 1 });
    // One process: with the default (a worker per CPU) the stack is healthy once one worker is, and a
    // fault switched on then could meet a second worker still on its initial load, which refuses to
    // start by design (seen on a loaded CI run). Clustering has its own tests (test/operator/cluster*).
    const operator = service('operator', ['operator', '--data', dir, '--config', join(dir, OPERATOR_CONFIG_FILE), '--workers', '1'], port, { ...env, ...o.operatorEnv });
    await operator.waitHealthy(HEALTH_TIMEOUT_MS);
    const p = proxy;
    const metric = (name: string, labels: Record<string, string> = {}) =>
      metricOf({ operatorMetrics: [`http://127.0.0.1:${metricsPort}/metrics`] } as unknown as RunningStack, 0, name, labels);
    // The metrics port may open a moment after the API port.
    await eventually('operator metrics', () => metric('uid2_config_store_version', { store: 'keysetkey' }));
    return {
      dir,
      dataset,
      proxy: p,
      core,
      optout,
      operator,
      client: new Uid2Client({ baseUrl: operator.url, apiKey: dataset.apiKey, secretKey: dataset.secret }),
      metric,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
