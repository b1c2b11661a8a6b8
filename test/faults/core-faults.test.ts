/**
 * Fault injection across real processes (issue 7 §3): an attested operator child process syncs
 * from a Core child process through a fault proxy. Expected behaviour (operator-spec.md §12.4):
 * after startup, failures only count in metrics, data stays at the last good version, health is
 * not affected, and the operator recovers by itself. A damaged store file is never served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Uid2ClientError } from '../../src/client/client-error.ts';
import { uid2 } from '../e2e/stack-support.ts';
import { isDownload, isMetadata, type FaultMode } from './support/fault-proxy.ts';
import { eventually, HEALTH_TIMEOUT_MS, startFaultStack } from './support/fault-stack.ts';

let n = 0;
const email = (tag: string) => `faults-${tag}-${process.pid}-${n++}@example.com`;

test('operator against a faulty Core and OptOut (child processes)', { timeout: 300_000 }, async (t) => {
  const fs = await startFaultStack();
  t.after(() => fs.close());
  const failures = async (store: string) => (await fs.metric('uid2_config_store_refresh_failures_total', { store })) ?? 0;
  const consecutive = (store: string) => fs.metric('uid2_config_store_consecutive_refresh_failures', { store });
  const version = async (store: string) => (await fs.metric('uid2_config_store_version', { store })) ?? 0;
  const assertServing = async (tag: string) => {
    assert.equal((await fs.client.generateToken({ email: email(tag) })).status, 'success', 'tokens are still served');
    const health = await fetch(`${fs.operator.url}/ops/healthcheck`);
    assert.equal(health.status, 200, 'refresh failures after startup do not affect health (§12.4)');
    assert.ok(fs.operator.isRunning(), 'the operator did not exit');
  };

  for (const mode of ['garbage', 'error', 'refuse'] as FaultMode[]) {
    await t.test(`Core metadata answers "${mode}": last good data, failures counted, recovery`, async () => {
      const before = await failures('keysetkey');
      const loaded = await version('keysetkey');
      fs.proxy.set(mode, isMetadata);
      await eventually('refresh failures', async () => (await failures('keysetkey')) >= before + 2);
      await assertServing(mode);
      assert.equal(await version('keysetkey'), loaded, 'still the last good version');
      fs.proxy.set('pass');
      await eventually('recovery', async () => (await consecutive('keysetkey')) === 0);
    });
  }

  await t.test('Core hung (requests held open): serving goes on; held refreshes fail and recover', async () => {
    fs.proxy.set('hold');
    await eventually('a refresh held by the proxy', async () => fs.proxy.held >= 1);
    await assertServing('hung');
    await assertServing('hung-again');
    fs.proxy.set('pass'); // held requests are released as 503s
    await eventually('recovery', async () => (await consecutive('keysetkey')) === 0 && (await consecutive('salt')) === 0);
  });

  // `store` label values are upstream's store names (src/operator/stores/store-labels.ts).
  const damagedRotation = async (mode: FaultMode, store: 'keysetkey' | 'salt', command: string[]) => {
    const loaded = await version(store);
    const before = await failures(store);
    fs.proxy.set(mode, isDownload);
    await uid2(['admin', '--data', fs.dir, ...command]);
    await eventually(`${store} download failures`, async () => (await failures(store)) >= before + 2);
    assert.equal(await version(store), loaded, 'the damaged version is not loaded: no partial snapshot');
    assert.ok(fs.proxy.faulted >= 2, 'the proxy damaged the downloads');
    await assertServing(`${mode}-${store}`);
    fs.proxy.set('pass');
    await eventually(`the new ${store} version`, async () => (await version(store)) > loaded);
    await assertServing(`${mode}-${store}-after`);
  };

  await t.test('truncated store files (keys, salts) are refused; the intact version loads later', async () => {
    await damagedRotation('truncate', 'keysetkey', ['rotate-keys']);
    await damagedRotation('truncate', 'salt', ['rotate-salts', '--fraction', '0.5']);
  });

  await t.test('a download link with a bad signature is refused by Core; nothing partial is loaded', async () => {
    await damagedRotation('bad-signature', 'keysetkey', ['rotate-keys']);
  });

  await t.test('OptOut unreachable: logout answers the catalogue 500 and counts it, tokens are served, logout works again after', async () => {
    await fs.optout.stop();
    try {
      const raw = await fs.client.logout({ email: email('optout-down') }).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(raw instanceof Uid2ClientError, 'logout fails while OptOut is down');
      assert.equal((raw as Uid2ClientError).httpStatus, 500);
      assert.equal((raw as Uid2ClientError).status, 'unknown', 'a JSON catalogue error, not a plain-text 500');
      assert.equal((raw as Uid2ClientError).upstreamMessage, 'Unknown error while writing the opt-out');
      assert.ok(((await fs.metric('uid2_token_logout_total', { status: 'optout_write_failed' })) ?? 0) >= 1);
      await assertServing('optout-down');
    } finally {
      fs.optout.start();
      await fs.optout.waitHealthy(HEALTH_TIMEOUT_MS);
    }
    assert.deepEqual(await fs.client.logout({ email: email('optout-back') }), { optout: 'OK' });
  });
});
