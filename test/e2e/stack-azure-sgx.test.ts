/**
 * `uid2 stack --attestation azure-sgx` end to end: the operator gets a DCAP quote binding its fresh
 * key from the simulated `sgx_quote` helper (a separate process, as /bin/sgx_quote is in the
 * Occlum image), Core verifies it with SgxDcapVerifier against the simulator's test root and the
 * registered MRENCLAVE, and the attested operator serves tokens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIMULATED_MRENCLAVE } from '../../src/attestation/sgx/sim/sgx-quote-generator.ts';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { clientOf, eventually, metricOf, uniqueEmail } from './stack-support.ts';

test('stack with azure-sgx attestation (simulated quote helper)', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-e2e-sgx-'));
  let stack: RunningStack | undefined;
  t.after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  stack = await startStack({ dataDir: dir, operators: 1, attestation: 'azure-sgx', refreshMs: 2000, buckets: 1024 });
  // One successful attestation per operator process, whatever its thread count.
  // Polled: the primary leaves out of a scrape a worker that does not answer within 2 s (loaded CI).
  await eventually('a successful attestation in the metrics', async () => ((await metricOf(stack!, 0, 'uid2_attestation_attempts_total', { outcome: 'success' })) ?? 0) >= 1);
  assert.equal(await metricOf(stack, 0, 'uid2_attestation_attempts_total', { outcome: 'attestation_failure' }), undefined);
  const result = await clientOf(stack, 0).generateToken({ email: uniqueEmail('azure-sgx') });
  assert.equal(result.status, 'success');
  // Core's log shows which enclave attested: the simulated MRENCLAVE under protocol azure-sgx.
  const coreLog = await readFile(join(dir, 'logs', 'core.log'), 'utf8');
  assert.match(coreLog, new RegExp(`"protocol":"azure-sgx".*"enclaveId":"${SIMULATED_MRENCLAVE}"`));
});
