/**
 * Slow-body exhaustion (issue 14 §1) against Core `/attest` and OptOut `/optout/replicate`, each a
 * real child process (`uid2 core`, `uid2 optout`), attacked over real sockets
 * (test/support/slow-body-rounds.ts): 400 connections each declaring a 1 MiB body and sending all
 * but its last byte, without a key (401 before a byte is buffered) and with a valid key (the body
 * budget holds four, the rest get 503; the held ones get 408 at the request timeout), and 50
 * connections sending one byte every 5 s.
 */
import { after, before, test } from 'node:test';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoDataset, CORE_CONFIG_FILE, type DemoDataset } from '../../src/core/dataset/index.ts';
import { OPTOUT_CONFIG_FILE } from '../../src/optout/optout-config.ts';
import { LISTENING, spawnService, type ServiceProcess } from '../support/service-process.ts';
import { LIMITS, MEASURED_ENV, scenarios, survives } from '../support/slow-body-rounds.ts';

let dir: string;
let ds: DemoDataset;
let core: ServiceProcess;
let optout: ServiceProcess;

async function mergeJson(path: string, extra: Record<string, unknown>): Promise<void> {
  const current = existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>) : {};
  await writeFile(path, JSON.stringify({ ...current, ...extra }));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid2-slow-body-'));
  ds = await createDemoDataset({ out: dir, buckets: 64 });
  // Never reach the real MAA from tests.
  await mergeJson(join(dir, CORE_CONFIG_FILE), { ...LIMITS, maa_server_base_url: 'http://127.0.0.1:9' });
  await mergeJson(join(dir, OPTOUT_CONFIG_FILE), LIMITS);
  [core, optout] = await Promise.all([
    spawnService(['core', '--data', dir, '--port', '0'], LISTENING.core, MEASURED_ENV),
    spawnService(['optout', '--data', dir, '--port', '0'], LISTENING.optout, { LOG_LEVEL: 'info', ...MEASURED_ENV }),
  ]);
});

after(async () => {
  await Promise.all([core?.kill(), optout?.kill()]);
  await rm(dir, { recursive: true, force: true });
});

test('Core /attest survives slow-body attacks: health answered, bounded memory, every connection closed, memory back after', async (t) => {
  await survives(t, core, '/attest', scenarios(ds.operatorKey));
});

test('OptOut /optout/replicate survives slow-body attacks: health answered, bounded memory, every connection closed, memory back after', async (t) => {
  const b64 = (fill: number) => encodeURIComponent(Buffer.alloc(32, fill).toString('base64'));
  await survives(t, optout, `/optout/replicate?identity_hash=${b64(5)}&advertising_id=${b64(6)}`, scenarios(ds.operatorKey));
});
