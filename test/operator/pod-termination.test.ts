/**
 * PodTerminationMonitor (spec operator-spec.md §13.1): /ops/healthcheck turns 503 with a
 * "PodTerminationMonitor: ..." line while the pre-stop marker file exists, and recovers when it is gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { localConfigPath, fixturesDir } from '../support/shared.ts';
import { loadOperatorConfig } from '../../src/operator/config/config-layers.ts';
import { HealthRegistry } from '../../src/operator/metrics/health.ts';
import { PodTerminationMonitor, POD_TERMINATION_COMPONENT } from '../../src/operator/metrics/pod-termination-monitor.ts';
import { startOperator } from '../../src/operator/operator-service.ts';

test('config: upstream marker path and 3 s period by default; the file is configurable, empty turns it off', () => {
  const defaults = loadOperatorConfig({ files: [localConfigPath] }).podTermination;
  assert.deepEqual(defaults, { file: '/app/pod_terminating/pod_terminating', checkIntervalMs: 3000 });
  const custom = loadOperatorConfig({ files: [localConfigPath], flags: { pod_termination_file: '/tmp/x', pod_termination_check_interval: 500 } });
  assert.deepEqual(custom.podTermination, { file: '/tmp/x', checkIntervalMs: 500 });
  assert.equal(loadOperatorConfig({ files: [localConfigPath], flags: { pod_termination_file: '' } }).podTermination.file, undefined);
});

test('monitor: unhealthy exactly while the marker file exists', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'uid2-pod-'));
  try {
    const marker = join(dir, 'pod_terminating');
    const health = new HealthRegistry();
    const monitor = new PodTerminationMonitor({ file: marker, intervalMs: 60_000, health });
    assert.equal(health.isHealthy(), false, 'unknown until the first check');
    assert.equal(await monitor.check(), false);
    assert.equal(health.isHealthy(), true);
    writeFileSync(marker, '');
    assert.equal(await monitor.check(), true);
    assert.deepEqual(health.unhealthyLines(), [`${POD_TERMINATION_COMPONENT}: pod is terminating`]);
    unlinkSync(marker);
    await monitor.check();
    assert.equal(health.isHealthy(), true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('operator: /ops/healthcheck answers 503 while the pod is terminating, 200 again after', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'uid2-pod-op-'));
  const marker = join(dir, 'pod_terminating');
  const op = await startOperator({
    dataDir: fixturesDir,
    files: [localConfigPath],
    flags: { port: 0, metrics_port: 0, host: '127.0.0.1', pod_termination_file: marker, pod_termination_check_interval: 50 },
    logger: pino({ level: 'silent' }),
  });
  t.after(async () => {
    await op.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const health = () => fetch(`http://127.0.0.1:${op.port}/ops/healthcheck`);
  const waitFor = async (status: number) => {
    for (let i = 0; i < 200; i++) {
      const r = await health();
      const body = await r.text();
      if (r.status === status) return body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`healthcheck never answered ${status}`);
  };
  assert.equal(await waitFor(200), 'OK');
  writeFileSync(marker, '');
  assert.match(await waitFor(503), /^PodTerminationMonitor: pod is terminating$/m);
  unlinkSync(marker);
  assert.equal(await waitFor(200), 'OK');
});
