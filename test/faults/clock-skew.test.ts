/**
 * Clock skew between real processes (issue 7 §3): the operator's wall clock runs 90 s ahead of
 * Core's and the client's (preloaded `support/clock-skew.mjs`). Attestation and store sync still
 * work; requests are accepted while the total skew stays inside the v2 freshness window
 * (|now − timestamp| < 120 s, spec §3.1) and refused with the exact client error beyond it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { repoRoot } from '../support/shared.ts';
import { startFaultStack } from './support/fault-stack.ts';

const SKEW_MS = 90_000;

test('operator clock 90 s ahead of Core and clients', { timeout: 180_000 }, async (t) => {
  const preload = pathToFileURL(join(repoRoot, 'test', 'faults', 'support', 'clock-skew.mjs')).href;
  const fs = await startFaultStack({ operatorEnv: { NODE_OPTIONS: `--import ${preload}`, UID2_TEST_CLOCK_SKEW_MS: String(SKEW_MS) } });
  t.after(() => fs.close());

  // Startup already attested to Core and loaded every store despite the skew.
  const generated = await fs.client.generateToken({ email: `skew-${process.pid}@example.com` });
  assert.equal(generated.status, 'success');
  if (generated.status !== 'success') return;
  assert.ok(generated.identity.identity_expires > Date.now() + 3_600_000 + SKEW_MS / 2, 'the operator really runs ahead (token times use its clock)');

  const send = (clientSkewMs: number) =>
    fetch(`${fs.operator.url}/v2/token/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fs.dataset.apiKey}`, 'content-type': 'text/plain' },
      body: encodeRequestEnvelope(Buffer.from(fs.dataset.secret, 'base64'), { nowMs: Date.now() + clientSkewMs, payload: JSON.stringify({ email: 'skew@example.com' }) }).toString('base64'),
    });
  // Total skew 30 s: accepted.
  assert.equal((await send(60_000)).status, 200);
  // Total skew 150 s: refused as a client error with the upstream message, never a 5xx.
  const late = await send(-60_000);
  assert.equal(late.status, 400);
  assert.deepEqual(await late.json(), { status: 'client_error', message: 'Invalid timestamp: Request too old or client time drift.' });
  assert.equal((await fetch(`${fs.operator.url}/ops/healthcheck`)).status, 200);
});
