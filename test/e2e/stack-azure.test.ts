/**
 * The shared end-to-end scenarios (`stack-scenarios.ts`, the same as the fs suite) with Core's
 * stores, OptOut's files and the operator keys OptOut checks on Azure Blob Storage (a real Azurite
 * child process): signed links are SAS URLs, admin changes go to the container.
 */
import { test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_CONTAINER, startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { startAzurite, type Azurite } from '../support/azurite.ts';
import { runStackScenarios, type ScenarioContext } from './stack-scenarios.ts';

const REFRESH_MS = 1000;

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
    refreshMs: REFRESH_MS,
    optoutRefreshSeconds: 1,
    buckets: 1024,
  });
  const c: ScenarioContext = {
    stack,
    adminArgs: ['--storage', 'azure', '--container', CORE_CONTAINER],
    adminEnv: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
    refreshMs: REFRESH_MS,
  };
  // The same scenarios as the fs suite: admin changes, revocations and opt-outs go through the containers.
  await runStackScenarios(t, c);
});
