/**
 * The shared end-to-end scenarios with Core's stores and OptOut's files on Azure Blob Storage
 * (a real Azurite child process): signed links are SAS URLs, admin changes go to the container.
 */
import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_CONTAINER, startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { startAzurite, type Azurite } from '../support/azurite.ts';
import { coreOutage, logoutPropagates, rotationsPickedUp, tokensAcrossOperators, type ScenarioContext } from './stack-scenarios.ts';

test('stack on Azure Blob Storage (Azurite)', { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-e2e-azure-'));
  let azurite: Azurite | undefined;
  let stack: RunningStack | undefined;
  t.after(async () => {
    await stack?.stop();
    await azurite?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  azurite = await startAzurite();
  stack = await startStack({
    dataDir: dir,
    operators: 2,
    storage: 'azure',
    azureConnectionString: azurite.connectionString,
    refreshMs: 1000,
    optoutRefreshSeconds: 1,
    buckets: 1024,
  });
  const c: ScenarioContext = {
    stack,
    adminArgs: ['--storage', 'azure', '--container', CORE_CONTAINER],
    adminEnv: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
  };

  await t.test('operators attest, sync every store and serve tokens; A-token refreshes on B', () => tokensAcrossOperators(c));
  await t.test('logout through A opts out on B', () => logoutPropagates(c));
  await t.test('key and salt rotations reach operators without restart', () => rotationsPickedUp(c));
  await t.test('Core stopped: last good data, failures in metrics, recovery', () => coreOutage(c));
});
