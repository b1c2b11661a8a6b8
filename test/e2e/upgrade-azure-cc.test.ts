/**
 * The guide's upgrade (docs/deployment-guide.md "12. Upgrade", seed 002 "Upgrading"), end to end
 * on the local stack with simulated azure-cc attestation:
 *
 * 1. Release A (the stack's operator, its policy digest registered) serves under load.
 * 2. Release B has another policy, so another enclave id; it is registered at Core with
 *    `uid2 admin register-enclave`, started, and turns healthy; the balancer adds it.
 * 3. A gets SIGTERM. Its /ops/healthcheck answers 503 at once while it keeps serving for
 *    `shutdown_drain_ms`; a request in flight at the signal finishes; the balancer, probing
 *    readiness, moves every new request to B (probing-balancer.ts models this); A exits 0.
 * 4. Across the switch no request fails; the test reports the count.
 * 5. Core retires A's enclave id (`uid2 admin unregister-enclave`); an A started afterwards fails
 *    attestation (403 "enclave id not registered") and exits 1 with a clear log line, while B
 *    keeps serving.
 *
 * Core's enclave list is polled (every second here): the test waits for Core to accept B and to
 * refuse A by attesting with each release's simulated SKR, not by sleeping.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureCcSkrProvider } from '../../src/attestation/azure-cc-provider.ts';
import { DEFAULT_SIM_POLICY, SkrSimulator, policyDigest } from '../../src/attestation/sim/skr-sidecar.ts';
import { Uid2Client } from '../../src/client/uid2-client.ts';
import { ChildService } from '../../src/cli/stack/child-service.ts';
import { freePort } from '../../src/cli/stack/free-port.ts';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { decodeBase64 } from '../../src/protocol/base64.ts';
import { NONCE_SIZE, decodeResponseEnvelope, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { ProbingBalancer, runLoad } from './probing-balancer.ts';
import { eventually, uid2, uniqueEmail } from './stack-support.ts';

const DRAIN_MS = 2000;
const PROBE_MS = 100;
const CONCURRENCY = 4;
const POLICY_B = `${DEFAULT_SIM_POLICY}# release B\n`;

/** Core's answer to an attestation with `skrUrl`'s evidence: 200 or the refusal status. */
async function attestStatus(stack: RunningStack, skrUrl: string, maaBaseUrl: string): Promise<number> {
  const provider = new AzureCcSkrProvider({ skrUrl, maaBaseUrl });
  const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
  const attestUrl = `${stack.summary.core}/attest`;
  const evidence = await provider.getAttestationRequest(spki, Buffer.from(attestUrl));
  const r = await fetch(attestUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.operatorKey}` },
    body: JSON.stringify({ attestation_request: evidence.toString('base64'), public_key: spki.toString('base64'), operator_type: 'private' }),
  });
  await r.arrayBuffer();
  return r.status;
}

/** Another operator process like `template`, with its own ports, name and overrides. */
async function operatorLike(template: ChildService, name: string, env: Record<string, string>, logDir: string): Promise<ChildService> {
  const port = await freePort();
  const metricsPort = await freePort();
  return new ChildService({
    name,
    args: template.spec.args,
    url: `http://127.0.0.1:${port}`,
    env: { ...template.spec.env, port: String(port), metrics_port: String(metricsPort), uid_instance_id_prefix: name, ...env },
    logFile: join(logDir, `${name}.log`),
  });
}

/**
 * A token/generate request whose body arrives in two parts: it is in flight from the first write
 * until the operator answers. Resolves with the status and the decrypted envelope status.
 */
function slowGenerate(url: string, stack: RunningStack): { finish(): void; result: Promise<{ status: number; envelope: string }> } {
  const secret = decodeBase64(stack.summary.secret);
  const payload = JSON.stringify({ email: uniqueEmail('in-flight') });
  const body = Buffer.from(encodeRequestEnvelope(secret, { nowMs: Date.now(), nonce: randomBytes(NONCE_SIZE), payload }).toString('base64'));
  const half = Math.floor(body.length / 2);
  const req = request(`${url}/v2/token/generate`, {
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${stack.summary.api_key}`, 'content-type': 'text/plain', 'content-length': body.length },
  });
  const result = new Promise<{ status: number; envelope: string }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('latin1').trim();
        let envelope = `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
        if (res.statusCode === 200) envelope = (JSON.parse(decodeResponseEnvelope(secret, text).json) as { status: string }).status;
        resolve({ status: res.statusCode ?? 0, envelope });
      });
    });
  });
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), result };
}

async function healthStatus(url: string): Promise<number> {
  const r = await fetch(`${url}/ops/healthcheck`, { signal: AbortSignal.timeout(2000) });
  await r.arrayBuffer();
  return r.status;
}

test('upgrade A -> B under load: B healthy, A drains on SIGTERM, zero failed requests, A retired', { timeout: 360_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-e2e-upgrade-'));
  const cleanups: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  const stack = await startStack({
    dataDir: dir,
    operators: 1,
    attestation: 'azure-cc',
    refreshMs: 1000,
    buckets: 1024,
    operatorEnv: { shutdown_drain_ms: String(DRAIN_MS) },
  });
  cleanups.push(() => stack.stop());
  const a = stack.operators[0];
  const maaBaseUrl = a.spec.env.maa_server_base_url;
  const skrA = a.spec.env.skr_url;
  const logs = join(dir, 'logs');

  // Release B: its own policy (so its own enclave id), registered at Core before it starts.
  const skrB = new SkrSimulator({ host: '127.0.0.1', policyText: POLICY_B, maaScheme: 'http' });
  await skrB.start();
  cleanups.push(() => skrB.close());
  const idA = policyDigest(DEFAULT_SIM_POLICY);
  const idB = policyDigest(POLICY_B);
  assert.notEqual(idA, idB);
  await uid2(['admin', '--data', dir, 'register-enclave', '--protocol', 'azure-cc', '--id', idB, '--name', 'release B']);
  await eventually('Core accepts release B', async () => (await attestStatus(stack, skrB.attestMaaUrl, maaBaseUrl)) === 200, 60_000);

  // Release A serves under load behind the balancer.
  const clients = new Map<string, Uid2Client>();
  const clientFor = (url: string) => clients.get(url) ?? clients.set(url, new Uid2Client({ baseUrl: url, apiKey: stack.summary.api_key, secretKey: stack.summary.secret })).get(url)!;
  const balancer = new ProbingBalancer(PROBE_MS);
  balancer.add(a.url);
  balancer.start();
  cleanups.push(async () => balancer.stop());
  await eventually('A in rotation', async () => balancer.isInRotation(a.url));
  const load = runLoad(
    balancer,
    async (url) => {
      const r = await clientFor(url).generateToken({ email: uniqueEmail('upgrade') });
      if (r.status !== 'success') throw new Error(`status ${r.status}`);
    },
    CONCURRENCY,
  );
  cleanups.push(() => load.stop());
  await eventually('A serving', async () => load.served(a.url) >= 20, 60_000);

  // Release B starts and turns healthy; the balancer adds it.
  const b = await operatorLike(a, 'operator-B', { skr_url: skrB.attestMaaUrl }, logs);
  cleanups.push(() => b.close());
  b.start();
  await b.waitHealthy(stack.healthTimeoutMs);
  balancer.add(b.url);
  await eventually('B serving', async () => load.served(b.url) >= 20, 60_000);

  // A gets SIGTERM with a request in flight.
  const inFlight = slowGenerate(a.url, stack);
  await new Promise((r) => setTimeout(r, 200));
  const servedByABeforeSignal = load.served(a.url);
  process.kill(a.pid!, 'SIGTERM');
  await eventually('A readiness 503', async () => (await healthStatus(a.url)) === 503, 10_000);
  // Readiness said 503 first: A still accepts and answers new requests while draining...
  assert.equal((await clientFor(a.url).generateToken({ email: uniqueEmail('draining') })).status, 'success');
  // ...and the request in flight at the signal finishes.
  inFlight.finish();
  assert.deepEqual(await inFlight.result, { status: 200, envelope: 'success' });
  await eventually('A out of rotation', async () => !balancer.isInRotation(a.url));
  await a.waitForExit();
  assert.equal(a.exitCode, 0, a.recentOutput());
  balancer.remove(a.url);
  const servedByBAtExit = load.served(b.url);
  await eventually('B carries the load alone', async () => load.served(b.url) >= servedByBAtExit + 20, 60_000);

  const report = await load.stop();
  const total = report.ok + report.failed;
  t.diagnostic(`upgrade under load: ${total} requests (${load.served(a.url)} by A, ${load.served(b.url)} by B), ${report.failed} failed`);
  process.stdout.write(`# upgrade under load: ${total} requests, ${report.failed} failed\n`);
  assert.equal(report.failed, 0, report.errors.join('\n'));
  assert.ok(servedByABeforeSignal > 0 && load.served(b.url) > 0);

  // Core retires A's enclave id; an A started afterwards fails attestation and exits.
  await uid2(['admin', '--data', dir, 'unregister-enclave', '--protocol', 'azure-cc', '--id', idA]);
  await eventually('Core refuses release A', async () => (await attestStatus(stack, skrA, maaBaseUrl)) === 403, 60_000);
  const staleA = await operatorLike(a, 'operator-A-after-retirement', {}, logs);
  cleanups.push(() => staleA.close());
  staleA.start();
  const exitTimer = setTimeout(() => void staleA.kill(), 60_000);
  await staleA.waitForExit();
  clearTimeout(exitTimer);
  const output = staleA.recentOutput();
  assert.equal(staleA.exitCode, 1, output);
  assert.match(output, /Core rejected the attestation with HTTP 403 \(enclave id not registered\)/);
  assert.match(output, /enclave id is not registered \(retired\); shutting down/);
  assert.doesNotMatch(output, /operator listening/);
  assert.equal(output.includes(stack.operatorKey), false, 'the operator key is never logged');

  // B, whose enclave id is still registered, keeps serving.
  assert.equal((await clientFor(b.url).generateToken({ email: uniqueEmail('after-retirement') })).status, 'success');
});
