/**
 * An EUID stack end to end (issue 14 §3): a data set written with `--scope euid`, Core, OptOut and
 * an attested operator as child processes, the SDK client over real sockets. The operator checks
 * TCF consent on generate exactly as upstream: the SDKs' own sufficient example (CMP id 1, which
 * `@iabtcf/core` refuses) gets tokens, the insufficient one a 200 `insufficient_user_consent`, a
 * malformed one 400 "User consent is invalid"; tokens are EUID's, refresh and logout work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { Uid2ClientError } from '../../src/client/client-error.ts';
import { createDemoDataset } from '../../src/core/dataset/index.ts';
import { clientOf, eventually, uniqueEmail } from './stack-support.ts';

const SUFFICIENT = 'CPhJRpMPhJRpMABAMBFRACBoALAAAEJAAIYgAKwAQAKgArABAAqAAA';
const INSUFFICIENT = 'CPehXK9PehXK9ABAMBFRACBoADAAAEJAAIYgAKwAQAKgArABAAqAAA';

test('EUID stack: TCF consent as upstream, EUID tokens, refresh and logout', { timeout: 180_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-e2e-euid-'));
  let stack: RunningStack | undefined;
  t.after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await createDemoDataset({ out: dir, buckets: 1024, identityScope: 'euid' });
  stack = await startStack({ dataDir: dir, operators: 1, refreshMs: 1000, optoutRefreshSeconds: 1 });
  const client = clientOf(stack, 0);

  const email = uniqueEmail('euid');
  const generated = await client.generateToken({ email }, { tcfConsentString: SUFFICIENT });
  assert.equal(generated.status, 'success');
  if (generated.status !== 'success') return;
  assert.ok(generated.identity.advertising_token.startsWith('E4'), 'an EUID email token');
  assert.deepEqual(await client.generateToken({ email }, { tcfConsentString: INSUFFICIENT }), { status: 'insufficient_user_consent' });
  const malformed = await client.generateToken({ email }, { tcfConsentString: 'CPhJRpMPhJRpM!' }).then(() => undefined, (err: unknown) => err);
  assert.ok(malformed instanceof Uid2ClientError);
  assert.equal(malformed.httpStatus, 400);
  assert.equal(malformed.upstreamMessage, 'User consent is invalid');

  const refreshed = await client.refreshToken(generated.identity.refresh_token, generated.identity.refresh_response_key);
  assert.equal(refreshed.status, 'success');
  await client.logout({ email });
  await eventually('the EUID logout to come back as an opt-out', async () => (await client.generateToken({ email }, { tcfConsentString: SUFFICIENT })).status === 'optout');
});
