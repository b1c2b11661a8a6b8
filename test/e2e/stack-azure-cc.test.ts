/**
 * `uid2 stack --attestation azure-cc` end to end: the operator attests through the simulated SKR
 * sidecar and MAA (SEV-SNP evidence binding its fresh key), Core verifies the MAA token against the
 * registered policy digest, and the attested operator serves tokens. Its logout reaches OptOut,
 * which checks the write's attestation token and opt-out JWT as Core would (`enforce_jwt` is on in
 * the stack), and comes back through the opt-out sync.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { clientOf, eventually, metricOf, uniqueEmail } from './stack-support.ts';

test('stack with azure-cc attestation (simulated SKR + MAA)', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-e2e-azcc-'));
  let stack: RunningStack | undefined;
  t.after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  // Four request threads: the operator process attests once for all of them (issue 16).
  stack = await startStack({ dataDir: dir, operators: 1, operatorThreads: 4, attestation: 'azure-cc', refreshMs: 2000, buckets: 1024 });
  await eventually('a successful attestation in the metrics', async () => ((await metricOf(stack!, 0, 'uid2_attestation_attempts_total', { outcome: 'success' })) ?? 0) >= 1);
  assert.equal(await metricOf(stack, 0, 'uid2_attestation_attempts_total', { outcome: 'attestation_failure' }), undefined);
  const result = await clientOf(stack, 0).generateToken({ email: uniqueEmail('azure-cc') });
  assert.equal(result.status, 'success');
  // Every thread served (their counts merged on the metrics port), and Core saw one attestation.
  for (let i = 0; i < 12; i++) assert.equal((await clientOf(stack, 0).generateToken({ email: uniqueEmail('threads') })).status, 'success');
  const coreLog = await readFile(join(dir, 'logs', 'core.log'), 'utf8');
  assert.equal(coreLog.split('\n').filter((l) => l.includes('attestation successful')).length, 1, 'one attestation at Core for a 4-thread operator');
  // A logout from a request thread carries the process's attestation to OptOut.
  const email = uniqueEmail('azure-cc-logout');
  await clientOf(stack, 0).logout({ email });
  await eventually('the attested logout to come back as an opt-out', async () => (await clientOf(stack!, 0).generateToken({ email })).status === 'optout');
});
