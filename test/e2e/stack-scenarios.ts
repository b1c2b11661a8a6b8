/**
 * End-to-end scenarios over a running stack (Core, OptOut and two attested operators as separate
 * processes), shared by the fs and the Azure Blob Storage suites. Each scenario leaves the stack
 * running and healthy for the next one.
 */
import assert from 'node:assert/strict';
import type { RunningStack } from '../../src/cli/stack/local-stack.ts';
import { clientOf, eventually, metricOf, uid2, uniqueEmail } from './stack-support.ts';

export interface ScenarioContext {
  readonly stack: RunningStack;
  /** Extra `uid2 admin` arguments (`--storage azure ...`) and env for the data set's backend. */
  readonly adminArgs: readonly string[];
  readonly adminEnv: Record<string, string>;
}

/** Every operator attested and loaded every store from Core; a token generated on A refreshes on B. */
export async function tokensAcrossOperators(c: ScenarioContext): Promise<void> {
  const a = clientOf(c.stack, 0);
  const b = clientOf(c.stack, 1);
  for (let i = 0; i < c.stack.operators.length; i++) {
    assert.equal(await metricOf(c.stack, i, 'uid2_attestation_attempts_total', { outcome: 'success' }), 1);
    for (const store of ['clients', 'keysets', 'keyset_keys', 'salts']) {
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
  const keysBefore = await storeVersions(c, 'keyset_keys');
  const saltsBefore = await storeVersions(c, 'salts');
  await uid2(['admin', '--data', c.stack.dataDir, ...c.adminArgs, 'rotate-keys'], c.adminEnv);
  await uid2(['admin', '--data', c.stack.dataDir, ...c.adminArgs, 'rotate-salts', '--fraction', '0.5'], c.adminEnv);
  await eventually('every operator to load the rotated keys and salts', async () => {
    const keys = await storeVersions(c, 'keyset_keys');
    const salts = await storeVersions(c, 'salts');
    return keys.every((v, i) => v > keysBefore[i]) && salts.every((v, i) => v > saltsBefore[i]);
  });
  assert.equal((await clientOf(c.stack, 1).generateToken({ email: uniqueEmail('rotated') })).status, 'success');
}

/** Core stopped: operators keep serving from the last good data and count failures; they recover. */
export async function coreOutage(c: ScenarioContext): Promise<void> {
  await c.stack.core.stop();
  try {
    await eventually('a refresh failure to be reported', async () => ((await metricOf(c.stack, 0, 'uid2_config_store_consecutive_refresh_failures', { store: 'keyset_keys' })) ?? 0) >= 1);
    assert.equal((await clientOf(c.stack, 0).generateToken({ email: uniqueEmail('core-down') })).status, 'success');
    const health = await fetch(`${c.stack.summary.operators[0]}/ops/healthcheck`);
    assert.equal(health.status, 200, 'refresh failures after startup do not affect health');
  } finally {
    c.stack.core.start();
    await c.stack.core.waitHealthy(c.stack.healthTimeoutMs);
  }
  await eventually('operators to recover', async () => (await metricOf(c.stack, 0, 'uid2_config_store_consecutive_refresh_failures', { store: 'keyset_keys' })) === 0);
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
