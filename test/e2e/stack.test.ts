/**
 * End-to-end on the file-system backend: one stack (Core, OptOut, two attested operators as child
 * processes on 127.0.0.1) shared by every scenario; Core's `/attest` negatives, a revoked
 * operator's exit, and opt-outs acknowledged through operators surviving an OptOut SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildService } from '../../src/cli/stack/child-service.ts';
import { freePort } from '../../src/cli/stack/free-port.ts';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { operatorEnv } from '../../src/cli/stack/stack-config.ts';
import { coreOutage, logoutPropagates, optOutOutage, rotationsPickedUp, tokensAcrossOperators, type ScenarioContext } from './stack-scenarios.ts';
import { clientOf, eventually, uid2, uniqueEmail } from './stack-support.ts';

const REFRESH_MS = 1000;

test('stack on fs storage', { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-e2e-'));
  let stack: RunningStack | undefined;
  t.after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  stack = await startStack({ dataDir: dir, operators: 2, refreshMs: REFRESH_MS, optoutRefreshSeconds: 1, buckets: 1024 });
  const c: ScenarioContext = { stack, adminArgs: [], adminEnv: {} };

  await t.test('operators attest, sync every store and serve tokens; A-token refreshes on B', () => tokensAcrossOperators(c));
  await t.test('logout through A opts out on B', () => logoutPropagates(c));
  await t.test('key and salt rotations reach operators without restart', () => rotationsPickedUp(c));
  await t.test('Core stopped: last good data, failures in metrics, recovery', () => coreOutage(c));
  await t.test('OptOut stopped: sync failures in metrics, recovery', () => optOutOutage(c));

  await t.test('Core /attest rejects an unknown operator key with 401', async () => {
    const response = await fetch(`${stack!.summary.core}/attest`, {
      method: 'POST',
      headers: { Authorization: 'Bearer UID2-O-L-999-nosuchkey', 'Content-Type': 'application/json' },
      body: JSON.stringify({ attestation_request: 'AA==', public_key: '', application_name: 'uid2-operator', application_version: '0', operator_type: 'private', components: {} }),
    });
    assert.equal(response.status, 401);
  });

  await t.test('an operator whose key is revoked exits with code 1', async () => {
    const added = await uid2(['admin', '--data', dir, 'add-operator', '--name', 'e2e-revoked', '--site', '999']);
    const key = /operator_key: (\S+)/.exec(added)?.[1];
    assert.ok(key, 'add-operator prints the new key');
    const port = await freePort();
    const op = new ChildService({
      name: 'operator-revoked',
      args: ['operator', '--data', dir, '--config', join(dir, 'operator-config.json')],
      url: `http://127.0.0.1:${port}`,
      env: operatorEnv({ index: 9, coreUrl: stack!.summary.core, optoutUrl: stack!.summary.optout, operatorKey: key, port, metricsPort: await freePort(), refreshMs: REFRESH_MS, optoutRefreshSeconds: 1 }),
      logFile: join(dir, 'logs', 'operator-revoked.log'),
    });
    t.after(() => op.close());
    op.start();
    await op.waitHealthy(stack!.healthTimeoutMs);
    await uid2(['admin', '--data', dir, 'revoke-operator', 'e2e-revoked']);
    await eventually('the revoked operator to exit', async () => !op.isRunning(), 60_000);
    assert.equal(op.exitCode, 1);
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
