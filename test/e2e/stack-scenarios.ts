/**
 * End-to-end scenarios over a running stack (Core, OptOut and two attested operators as separate
 * processes), shared by the fs and the Azure Blob Storage suites in the Hono contract-suite style:
 * each suite builds its stack and calls `runStackScenarios(t, context)`, so the same scenarios run
 * on both backends. Each scenario leaves the stack running and healthy for the next one.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { ChildService } from '../../src/cli/stack/child-service.ts';
import { freePort } from '../../src/cli/stack/free-port.ts';
import type { RunningStack } from '../../src/cli/stack/local-stack.ts';
import { operatorEnv } from '../../src/cli/stack/stack-config.ts';
import { DEMO_SITE_ID } from '../../src/core/dataset/index.ts';
import { Uid2Client } from '../../src/client/uid2-client.ts';
import { generateEphemeralKeyPair } from '../../src/operator/sync/ephemeral-rsa-key.ts';
import { clientOf, eventually, metricOf, uid2, uniqueEmail } from './stack-support.ts';

export interface ScenarioContext {
  readonly stack: RunningStack;
  /** Extra `uid2 admin` arguments (`--storage azure ...`) and env for the data set's backend. */
  readonly adminArgs: readonly string[];
  readonly adminEnv: Record<string, string>;
  /** Store poll period the stack was started with (ms). */
  readonly refreshMs: number;
}

/** The shared scenarios, in order, as subtests of `t`. */
export async function runStackScenarios(t: TestContext, c: ScenarioContext): Promise<void> {
  await t.test('operators attest, sync every store and serve tokens; A-token refreshes on B', () => tokensAcrossOperators(c));
  await t.test('logout through A opts out on B', () => logoutPropagates(c));
  await t.test('key and salt rotations reach operators without restart', () => rotationsPickedUp(c));
  await t.test('an operator with encrypted_files decrypts its stores with the site cloud key', (st) => encryptedFilesOperator(st, c));
  await t.test('an operator whose key is revoked exits with code 1', (st) => revokedOperatorExits(st, c));
  await t.test('Core stopped: last good data, failures in metrics, recovery', () => coreOutage(c));
  await t.test('OptOut stopped: sync failures in metrics, recovery', () => optOutOutage(c));
}

function admin(c: ScenarioContext, args: string[]): Promise<string> {
  return uid2(['admin', '--data', c.stack.dataDir, ...c.adminArgs, ...args], c.adminEnv);
}

interface ExtraOperator {
  readonly service: ChildService;
  readonly client: Uid2Client;
}

/** One more attested operator beside the stack's, with its own key and extra config keys. */
async function startExtraOperator(t: TestContext, c: ScenarioContext, name: string, operatorKey: string, extraEnv: Record<string, string> = {}): Promise<ExtraOperator> {
  const { stack } = c;
  const port = await freePort();
  const metricsPort = await freePort();
  const service = new ChildService({
    name,
    args: ['operator', '--data', stack.dataDir, '--config', join(stack.dataDir, 'operator-config.json')],
    url: `http://127.0.0.1:${port}`,
    env: {
      ...operatorEnv({ index: 100 + stack.operators.length, coreUrl: stack.summary.core, optoutUrl: stack.summary.optout, operatorKey, port, metricsPort, refreshMs: c.refreshMs, optoutRefreshSeconds: 1 }),
      ...extraEnv,
    },
    logFile: join(stack.dataDir, 'logs', `${name}.log`),
  });
  t.after(() => service.close());
  service.start();
  await service.waitHealthy(stack.healthTimeoutMs);
  const client = new Uid2Client({ baseUrl: service.url, apiKey: stack.summary.api_key, secretKey: stack.summary.secret });
  return { service, client };
}

/** Every operator attested and loaded every store from Core; a token generated on A refreshes on B. */
export async function tokensAcrossOperators(c: ScenarioContext): Promise<void> {
  const a = clientOf(c.stack, 0);
  const b = clientOf(c.stack, 1);
  for (let i = 0; i < c.stack.operators.length; i++) {
    // One process attests for all its request threads; renewals add more successes later.
    await eventually(`operator ${i} attested`, async () => ((await metricOf(c.stack, i, 'uid2_attestation_attempts_total', { outcome: 'success' })) ?? 0) >= 1);
    for (const store of ['auth', 'keyset', 'keysetkey', 'salt']) {
      assert.ok((await metricOf(c.stack, i, 'uid2_config_store_version', { store }))! > 0, `operator ${i} loaded ${store}`);
    }
  }
  const email = uniqueEmail('token');
  const generated = await a.generateToken({ email });
  assert.equal(generated.status, 'success');
  if (generated.status !== 'success') return;
  const refreshed = await b.refreshToken(generated.identity.refresh_token, generated.identity.refresh_response_key);
  assert.equal(refreshed.status, 'success');
  if (refreshed.status !== 'success') return;
  const decryptedA = await a.decryptToken(generated.identity.advertising_token);
  const decryptedB = await b.decryptToken(refreshed.identity.advertising_token);
  assert.equal(decryptedB.raw_uid, decryptedA.raw_uid, 'both operators derive the same raw UID');
}

/** A logout through operator A opts the identity out on operator B after its next opt-out sync. */
export async function logoutPropagates(c: ScenarioContext): Promise<void> {
  const email = uniqueEmail('logout');
  const b = clientOf(c.stack, 1);
  assert.equal((await b.generateToken({ email })).status, 'success');
  await clientOf(c.stack, 0).logout({ email });
  await eventually('operator B to see the opt-out', async () => (await b.generateToken({ email })).status === 'optout');
}

async function storeVersions(c: ScenarioContext, store: string): Promise<number[]> {
  return Promise.all(c.stack.operators.map(async (_, i) => (await metricOf(c.stack, i, 'uid2_config_store_version', { store })) ?? 0));
}

/** Core rotates keys and salts (`uid2 admin`); every operator loads them without a restart. */
export async function rotationsPickedUp(c: ScenarioContext): Promise<void> {
  const keysBefore = await storeVersions(c, 'keysetkey');
  const saltsBefore = await storeVersions(c, 'salt');
  await uid2(['admin', '--data', c.stack.dataDir, ...c.adminArgs, 'rotate-keys'], c.adminEnv);
  await uid2(['admin', '--data', c.stack.dataDir, ...c.adminArgs, 'rotate-salts', '--fraction', '0.5'], c.adminEnv);
  await eventually('every operator to load the rotated keys and salts', async () => {
    const keys = await storeVersions(c, 'keysetkey');
    const salts = await storeVersions(c, 'salt');
    return keys.every((v, i) => v > keysBefore[i]) && salts.every((v, i) => v > saltsBefore[i]);
  });
  assert.equal((await clientOf(c.stack, 1).generateToken({ email: uniqueEmail('rotated') })).status, 'success');
}

/** Core stopped: operators keep serving from the last good data and count failures; they recover. */
export async function coreOutage(c: ScenarioContext): Promise<void> {
  await c.stack.core.stop();
  try {
    await eventually('a refresh failure to be reported', async () => ((await metricOf(c.stack, 0, 'uid2_config_store_consecutive_refresh_failures', { store: 'keysetkey' })) ?? 0) >= 1);
    assert.equal((await clientOf(c.stack, 0).generateToken({ email: uniqueEmail('core-down') })).status, 'success');
    const health = await fetch(`${c.stack.summary.operators[0]}/ops/healthcheck`);
    assert.equal(health.status, 200, 'refresh failures after startup do not affect health');
  } finally {
    c.stack.core.start();
    await c.stack.core.waitHealthy(c.stack.healthTimeoutMs);
  }
  await eventually('operators to recover', async () => (await metricOf(c.stack, 0, 'uid2_config_store_consecutive_refresh_failures', { store: 'keysetkey' })) === 0);
}

/** OptOut stopped: opt-out sync failures are counted, tokens are still served; sync resumes. */
export async function optOutOutage(c: ScenarioContext): Promise<void> {
  const before = (await metricOf(c.stack, 1, 'uid2_config_store_refresh_failures_total', { store: 'optout' })) ?? 0;
  await c.stack.optout.stop();
  try {
    await eventually('an opt-out sync failure', async () => ((await metricOf(c.stack, 1, 'uid2_config_store_refresh_failures_total', { store: 'optout' })) ?? 0) > before);
    assert.equal((await clientOf(c.stack, 1).generateToken({ email: uniqueEmail('optout-down') })).status, 'success');
  } finally {
    c.stack.optout.start();
    await c.stack.optout.waitHealthy(c.stack.healthTimeoutMs);
  }
  await logoutPropagates(c);
}

/**
 * `uid2 admin add-cloud-key` for the operators' site; an operator started with `encrypted_files`
 * is served encrypted copies, decrypts them (spec §12.3) and issues tokens that refresh on A.
 */
export async function encryptedFilesOperator(t: TestContext, c: ScenarioContext): Promise<void> {
  const added = await admin(c, ['add-cloud-key', '--site', String(DEMO_SITE_ID)]);
  assert.match(added, /cloud_key_id: \d+/);
  // Healthy means every store loaded; with encrypted_files a plaintext file fails the load
  // (test/operator/sync-encrypted.test.ts), so these stores were decrypted.
  const op = await startExtraOperator(t, c, 'operator-encrypted', c.stack.operatorKey, { encrypted_files: 'true' });
  const generated = await op.client.generateToken({ email: uniqueEmail('encrypted') });
  assert.equal(generated.status, 'success');
  if (generated.status !== 'success') return;
  const refreshed = await clientOf(c.stack, 0).refreshToken(generated.identity.refresh_token, generated.identity.refresh_response_key);
  assert.equal(refreshed.status, 'success', 'an operator on plaintext files refreshes a token from the encrypted one');
  await op.service.close();
}

/** Attests `key` (protocol trusted) to Core as an operator would: the headers its OptOut calls carry. */
async function attestedHeaders(coreUrl: string, key: string): Promise<Record<string, string>> {
  const pair = await generateEphemeralKeyPair();
  const res = await fetch(`${coreUrl}/attest`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ attestation_request: 'AA==', public_key: pair.spkiDer.toString('base64') }),
  });
  assert.equal(res.status, 200);
  const body = ((await res.json()) as { body: { attestation_token: string; attestation_jwt_optout: string } }).body;
  return { 'attestation-token': pair.decrypt(Buffer.from(body.attestation_token, 'base64')).toString('utf8'), 'attestation-jwt': body.attestation_jwt_optout };
}

/** A new operator key revoked with `uid2 admin`: the operator using it exits with code 1 and OptOut refuses it. */
export async function revokedOperatorExits(t: TestContext, c: ScenarioContext): Promise<void> {
  const added = await admin(c, ['add-operator', '--name', 'e2e-revoked', '--site', String(DEMO_SITE_ID)]);
  const key = /operator_key: (\S+)/.exec(added)?.[1];
  assert.ok(key, 'add-operator prints the new key');
  // Core and OptOut poll the operator keys; the operator must not start before both know the key
  // (an unknown key is a 401, which makes the operator exit at start-up). 400 = key accepted, bad
  // request. OptOut also wants the key's attestation, so the probe attests to Core first.
  const attest = async () =>
    (await fetch(`${c.stack.summary.core}/attest`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' })).status;
  await eventually('Core to know the new key', async () => (await attest()) === 400);
  const attestation = await attestedHeaders(c.stack.summary.core, key);
  const replicate = async () => (await fetch(`${c.stack.summary.optout}/optout/replicate`, { method: 'POST', headers: { authorization: `Bearer ${key}`, ...attestation } })).status;
  await eventually('OptOut to know the new key', async () => (await replicate()) === 400);
  const op = await startExtraOperator(t, c, 'operator-revoked', key);
  await admin(c, ['revoke-operator', 'e2e-revoked']);
  await eventually('the revoked operator to exit', async () => !op.service.isRunning(), 60_000);
  assert.equal(op.service.exitCode, 1);
  await eventually('OptOut to refuse the revoked key', async () => (await replicate()) === 401);
}
