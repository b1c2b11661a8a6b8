/**
 * Multi-core operator (src/operator/cluster): two node:cluster workers on one port answer exactly
 * like a single in-process operator over the same data set (decrypted key/sharing and map v3
 * bodies), a SIGKILLed worker is replaced while the port keeps serving, and a cause that survives
 * restarts stops the cluster instead of re-forking forever.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import pino from 'pino';
import { createDemoDataset } from '../../src/core/dataset/index.ts';
import { startOperator, type RunningOperator } from '../../src/operator/operator-service.ts';
import { startOperatorCluster, type FatalEvent, type OperatorCluster, type WorkerEvent } from '../../src/operator/cluster/operator-cluster.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';

const dir = mkdtempSync(join(tmpdir(), 'uid2-cluster-'));
const operatorOptions = {
  dataDir: dir,
  files: [join(dir, 'operator-config.json')],
  flags: { port: 0, metrics_port: 0, host: '127.0.0.1' },
};
let client: { api_key: string; secret: string };
let single: RunningOperator;
let cluster: OperatorCluster;

/** Rejects instead of hanging when a promise does not settle in time. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One request on a fresh connection (agent: false), so the cluster primary picks a worker each time. */
function post(port: number, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function healthcheck(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/ops/healthcheck', agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

/** A v2 call with a fresh envelope; returns the decrypted JSON. */
async function callV2(port: number, path: string, payload: unknown): Promise<unknown> {
  const secret = Buffer.from(client.secret, 'base64');
  const envelope = encodeRequestEnvelope(secret, { nowMs: Date.now(), payload: payload === null ? null : JSON.stringify(payload) });
  const res = await post(port, path, envelope.toString('base64'), { authorization: `Bearer ${client.api_key}`, 'content-type': 'text/plain' });
  assert.equal(res.status, 200, `${path}: ${res.text.slice(0, 200)}`);
  return JSON.parse(decodeResponseEnvelope(secret, res.text).json);
}

before(async () => {
  await createDemoDataset({ out: dir, buckets: 256 });
  client = JSON.parse(readFileSync(join(dir, 'demo-client.json'), 'utf8'));
  single = await startOperator({ ...operatorOptions, env: {}, logger: pino({ level: 'silent' }) });
  cluster = await within(60_000, startOperatorCluster({ workers: 2, operator: operatorOptions, restartDelayMs: 100 }), 'cluster start');
});

after(async () => {
  await Promise.allSettled([single?.close(), cluster?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const MAP_REQUEST = {
  email: ['user@example.com', 'Test.User+tag@gmail.com', 'not-an-email', 'optout@example.com'],
  phone: ['+12345678901'],
  email_hash: ['tMmiiTI7IaAcPpQPFQ65uMVCWH8av9jw4cwf/F5HVRQ='],
};

test('two workers serve the same decrypted answers as one operator', { timeout: 60_000 }, async () => {
  assert.equal(cluster.workerPids().length, 2);
  const expectedKeys = await callV2(single.port, '/v2/key/sharing', null);
  const expectedMap = (await callV2(single.port, '/v3/identity/map', MAP_REQUEST)) as { body: { email: unknown[] } };
  assert.equal(expectedMap.body.email.length, 4);
  // Fresh connections alternate between the workers (round-robin), so both answer several times.
  for (let i = 0; i < 4; i++) {
    assert.deepEqual(await callV2(cluster.port, '/v2/key/sharing', null), expectedKeys);
    assert.deepEqual(await callV2(cluster.port, '/v3/identity/map', MAP_REQUEST), expectedMap);
  }
  // One metrics port for the cluster: counters are the sum over both workers, health gauges are not summed.
  const metrics = await (await fetch(`http://127.0.0.1:${cluster.metricsPort}/metrics`)).text();
  assert.match(metrics, /uid2_http_requests_total\{[^}]*path="\/v2\/key\/sharing"[^}]*code="200"[^}]*\} 4\n/);
  assert.match(metrics, /uid2_component_health\{component="http-server"[^}]*\} 1\n/);
});

test('a SIGKILLed worker is replaced and the port keeps serving', { timeout: 60_000 }, async () => {
  const [victim, survivor] = cluster.workerPids();
  const exited = once(cluster, 'worker-exit') as Promise<[WorkerEvent & { signal: string }]>;
  const replaced = once(cluster, 'worker-ready') as Promise<[WorkerEvent]>;
  process.kill(victim, 'SIGKILL');
  const [exit] = await within(20_000, exited, 'worker exit');
  assert.equal(exit.pid, victim);
  assert.equal(exit.signal, 'SIGKILL');
  // While the replacement starts, the surviving worker holds the port.
  for (let i = 0; i < 4; i++) assert.equal(await healthcheck(cluster.port), 200);
  const [ready] = await within(45_000, replaced, 'replacement worker');
  assert.notEqual(ready.pid, victim);
  assert.deepEqual(new Set(cluster.workerPids()), new Set([survivor, ready.pid]));
  const expectedKeys = await callV2(single.port, '/v2/key/sharing', null);
  for (let i = 0; i < 4; i++) assert.deepEqual(await callV2(cluster.port, '/v2/key/sharing', null), expectedKeys);
});

test('replacements that never become ready end in a fatal event, not an endless restart loop', { timeout: 90_000 }, async () => {
  const broken = mkdtempSync(join(tmpdir(), 'uid2-cluster-broken-'));
  let c: OperatorCluster | undefined;
  try {
    await createDemoDataset({ out: broken, buckets: 16 });
    c = await within(60_000, startOperatorCluster({ workers: 2, operator: { ...operatorOptions, dataDir: broken, files: [join(broken, 'operator-config.json')] }, restartDelayMs: 50 }), 'cluster start');
    // Stores become unloadable: every replacement worker now fails its startup.
    unlinkSync(join(broken, 'stores', 'clients', 'metadata.json'));
    const fatal = once(c, 'fatal') as Promise<[FatalEvent]>;
    process.kill(c.workerPids()[0], 'SIGKILL');
    const [event] = await within(60_000, fatal, 'fatal event');
    assert.equal(event.code, 1);
    assert.match(event.reason, /clients/);
    await within(20_000, (async () => {
      while (c!.workerPids().length > 0) await new Promise((r) => setTimeout(r, 50));
    })(), 'workers to stop');
  } finally {
    await c?.close();
    rmSync(broken, { recursive: true, force: true });
  }
});
