/**
 * The crash scenario shared by the fs and Azure durability tests: a stream of concurrent
 * replicate requests, SIGKILL of the service mid-stream, restart, and a check through
 * `/optout/refresh` downloads that every acknowledged opt-out survived.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { OPTOUT_RECORD_SIZE, decodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { spawnOptOut } from './optout-process.ts';

async function replicateOne(url: string, key: string, identityHash: Buffer): Promise<boolean> {
  try {
    const q = `identity_hash=${encodeURIComponent(identityHash.toString('base64'))}&advertising_id=${encodeURIComponent(randomBytes(32).toString('base64'))}`;
    const res = await fetch(`${url}/optout/replicate?${q}`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // connection reset by the crash: not acknowledged
  }
}

async function publishedHashes(url: string, key: string): Promise<{ hashes: Set<string>; locations: string[] }> {
  const res = await fetch(`${url}/optout/refresh`, { headers: { authorization: `Bearer ${key}` } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { optout_logs: Array<{ location: string }> };
  const hashes = new Set<string>();
  for (const log of body.optout_logs) {
    const file = await fetch(log.location);
    assert.equal(file.status, 200);
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.equal(bytes.length % OPTOUT_RECORD_SIZE, 0);
    for (let off = 0; off < bytes.length; off += OPTOUT_RECORD_SIZE) hashes.add(decodeOptOutRecord(bytes, off).identityHash.toString('hex'));
  }
  return { hashes, locations: body.optout_logs.map((l) => l.location) };
}

export async function runCrashScenario(options: {
  dataDir: string;
  key: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Acknowledgements to wait for before the kill. */
  acksBeforeKill?: number;
}): Promise<{ acked: number; locations: string[] }> {
  const acked: Buffer[] = [];
  const first = await spawnOptOut(options.dataDir, options.args, options.env);
  try {
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const hash = randomBytes(32);
        if (await replicateOne(first.url, options.key, hash)) acked.push(hash);
      }
    };
    const workers = Array.from({ length: 16 }, worker);
    const target = options.acksBeforeKill ?? 200;
    const deadline = Date.now() + 20_000;
    while (acked.length < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await first.kill('SIGKILL'); // mid-stream: requests are still in flight
    stop = true;
    await Promise.all(workers);
    assert.ok(acked.length >= target, `only ${acked.length} acknowledgements before the deadline: ${first.output()}`);
  } finally {
    await first.kill();
  }

  const second = await spawnOptOut(options.dataDir, options.args, options.env);
  try {
    const { hashes, locations } = await publishedHashes(second.url, options.key);
    const missing = acked.filter((h) => !hashes.has(h.toString('hex')));
    assert.equal(missing.length, 0, `${missing.length} of ${acked.length} acknowledged opt-outs lost`);
    return { acked: acked.length, locations };
  } finally {
    await second.kill('SIGTERM');
  }
}
