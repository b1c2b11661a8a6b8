/**
 * End-to-end on the file-system backend: one stack (Core, OptOut, two attested operators as child
 * processes on 127.0.0.1) running the shared scenarios (`stack-scenarios.ts`, also run on Azurite
 * by stack-azure.test.ts), then fs-only extras: Core's `/attest` negatives and opt-outs
 * acknowledged through operators surviving an OptOut SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { logoutPropagates, runStackScenarios, type ScenarioContext } from './stack-scenarios.ts';
import { clientOf, eventually, uniqueEmail } from './stack-support.ts';

const REFRESH_MS = 1000;

test('stack on fs storage', { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-e2e-'));
  let stack: RunningStack | undefined;
  t.after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  stack = await startStack({ dataDir: dir, operators: 2, refreshMs: REFRESH_MS, optoutRefreshSeconds: 1, buckets: 1024 });
  const c: ScenarioContext = { stack, adminArgs: [], adminEnv: {}, refreshMs: REFRESH_MS };
  await runStackScenarios(t, c);

  // fs-only extras (the Azure backend's OptOut durability is test/optout/optout-azure.test.ts).
  await t.test('Core /attest rejects an unknown operator key with 401', async () => {
    const response = await fetch(`${stack!.summary.core}/attest`, {
      method: 'POST',
      headers: { Authorization: 'Bearer UID2-O-L-999-nosuchkey', 'Content-Type': 'application/json' },
      body: JSON.stringify({ attestation_request: 'AA==', public_key: '', application_name: 'uid2-operator', application_version: '0', operator_type: 'private', components: {} }),
    });
    assert.equal(response.status, 401);
  });

  await t.test('OptOut SIGKILLed during a stream of logouts loses no acknowledged opt-out', async () => {
    const a = clientOf(stack!, 0);
    const acknowledged: string[] = [];
    let killed = false;
    for (let i = 0; i < 30; i++) {
      if (i === 15) {
        await stack!.optout.kill();
        killed = true;
      }
      const email = uniqueEmail(`stream-${i}`);
      try {
        await a.logout({ email });
        acknowledged.push(email);
      } catch {
        assert.ok(killed, 'logouts fail only once OptOut is down');
      }
    }
    assert.ok(acknowledged.length >= 15);
    stack!.optout.start();
    await stack!.optout.waitHealthy(stack!.healthTimeoutMs);
    const b = clientOf(stack!, 1);
    await eventually('every acknowledged opt-out on operator B', async () => {
      for (const email of acknowledged) if ((await b.generateToken({ email })).status !== 'optout') return false;
      return true;
    }, 60_000);
  });

  await t.test('logouts work again after the OptOut restart', () => logoutPropagates(c));
});
