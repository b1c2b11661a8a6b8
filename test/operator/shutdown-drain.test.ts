/**
 * Shutdown drain (docs/deployment-guide.md "12. Upgrade"): on close the operator's health check
 * answers 503 at once, the server keeps answering for `shutdown_drain_ms`, then it closes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { loadOperatorConfig } from '../../src/operator/config/config-layers.ts';
import { startOperator } from '../../src/operator/operator-service.ts';
import { fixturesDir, localConfigPath } from '../support/shared.ts';

test('config: shutdown_drain_ms is 0 (off) by default, takes 0 or more, refuses a negative value', () => {
  assert.equal(loadOperatorConfig({ files: [localConfigPath] }).shutdownDrainMs, 0);
  assert.equal(loadOperatorConfig({ files: [localConfigPath], env: { shutdown_drain_ms: '1500' } }).shutdownDrainMs, 1500);
  assert.throws(() => loadOperatorConfig({ files: [localConfigPath], flags: { shutdown_drain_ms: -1 } }), /shutdown_drain_ms/);
});

test('operator: during the drain /ops/healthcheck answers 503 and requests are still served; then the port closes', async (t) => {
  const op = await startOperator({
    dataDir: fixturesDir,
    files: [localConfigPath],
    flags: { port: 0, metrics_port: 0, host: '127.0.0.1', pod_termination_file: '', shutdown_drain_ms: 1000 },
    logger: pino({ level: 'silent' }),
  });
  t.after(() => op.close());
  const url = `http://127.0.0.1:${op.port}`;
  const get = async (path: string) => {
    const r = await fetch(`${url}${path}`, { headers: { connection: 'close' } });
    return { status: r.status, body: await r.text() };
  };
  assert.deepEqual(await get('/ops/healthcheck'), { status: 200, body: 'OK' });
  const closed = op.close();
  assert.deepEqual(await get('/ops/healthcheck'), { status: 503, body: 'http-server: shutting down' });
  // Still serving: an unauthenticated v2 request gets the operator's own 401, not a refused connection.
  const r = await fetch(`${url}/v2/token/generate`, { method: 'POST', body: 'x', headers: { connection: 'close' } });
  assert.equal(r.status, 401);
  await r.arrayBuffer();
  await closed;
  await assert.rejects(fetch(`${url}/ops/healthcheck`), /fetch failed/);
});
