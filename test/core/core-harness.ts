/** A demo data set in a temp dir and a Core on 127.0.0.1:0 over it, for Core tests. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createDemoDataset, type DemoDataset } from '../../src/core/dataset/index.ts';
import { startCore, type CoreService, type CoreServiceOptions } from '../../src/core/core-service.ts';

export interface Harness {
  readonly dir: string;
  readonly ds: DemoDataset;
  readonly core: CoreService;
  close(): Promise<void>;
}

export async function startHarness(options: Partial<CoreServiceOptions> = {}, configOverrides: Record<string, unknown> = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-core-'));
  const ds = await createDemoDataset({ out: dir, buckets: 64 });
  // Never reach the real MAA from tests: a closed local port makes its signing keys unavailable.
  // Polling is effectively off (1 h) so tests decide when Core sees a new version (core.refresh()).
  const configPath = join(dir, 'core-config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8'));
  await writeFile(configPath, JSON.stringify({ ...config, maa_server_base_url: 'http://127.0.0.1:9', store_refresh_ms: 3_600_000, ...configOverrides }));
  const core = await startCore({ dataDir: dir, port: 0, host: '127.0.0.1', ...options });
  return {
    dir,
    ds,
    core,
    async close() {
      await core.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface OperatorKeyPair {
  readonly privateKey: KeyObject;
  readonly spkiB64: string;
}

export function operatorKeyPair(): OperatorKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, spkiB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

export async function attest(url: string, key: string | undefined, body: unknown): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/attest`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
