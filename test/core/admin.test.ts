/** Admin commands write new store versions that Core sees on its next poll; enclave diffing. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attest, operatorKeyPair, startHarness, type Harness } from './core-harness.ts';
import { repoRoot } from '../support/shared.ts';
import { addClient, addKeypair, addSite, registerEnclave, unregisterEnclave } from '../../src/core/admin/admin-records.ts';
import { rotateKeys, rotateSalts } from '../../src/core/admin/admin-rotation.ts';
import { diffEnclaves } from '../../src/core/enclave-sync.ts';
import { readJsonStore, readLocation, readMetadata } from '../../src/core/stores/store-reader.ts';
import { parseSaltFile } from '../../src/protocol/salt-file.ts';
import { AzureCcVerifier } from '../../src/attestation/azure-cc-verifier.ts';

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

async function uid2(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/uid2.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code] = (await once(child, 'exit')) as [number];
  clearTimeout(timer);
  return { code, stdout, stderr };
}

test('uid2 admin add-operator (child process) issues a key that Core accepts after its next poll', async () => {
  const out = await uid2('admin', '--data', h.dir, 'add-operator', '--protocol', 'trusted', '--name', 'cli-op', '--type', 'public');
  assert.equal(out.code, 0, out.stderr);
  const key = /operator_key: (\S+)/.exec(out.stdout)?.[1];
  assert.ok(key);
  const request = { attestation_request: 'AA==', public_key: operatorKeyPair().spkiB64, operator_type: 'public' };
  assert.equal((await attest(h.core.url, key, request)).status, 401);
  await h.core.refresh();
  assert.equal((await attest(h.core.url, key, request)).status, 200);
  const revoke = await uid2('admin', '--data', h.dir, 'revoke-operator', 'cli-op');
  assert.equal(revoke.code, 0, revoke.stderr);
  await h.core.refresh();
  assert.equal((await attest(h.core.url, key, request)).status, 401);
  const missing = await uid2('admin', '--data', h.dir, 'revoke-operator', 'no-such-operator');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no operator/);
});

test('every write raises the version and keeps what was there', async () => {
  const v0 = (await readJsonStore(h.core.blobs, 'clients')).version as number;
  const client = await addClient(h.core.blobs, { name: 'c2', siteId: 999, roles: ['MAPPER'] }, Date.now());
  const clients = await readJsonStore(h.core.blobs, 'clients');
  assert.ok((clients.version as number) > v0);
  assert.equal(clients.records.length, 2);
  assert.match(client.key, /^UID2-C-L-999-/);
  const site = await addSite(h.core.blobs, { name: 's', domains: ['example.com'] }, Date.now());
  assert.equal(site, 1000);
  const kp = await addKeypair(h.core.blobs, site, Date.now());
  assert.match(kp.publicKey, /^UID2-X-L-/);
  assert.equal((await readJsonStore(h.core.blobs, 'client_side_keypairs')).records.length, 2);
});

test('rotate-keys adds active master, refresh and site keys and keeps the old ones', async () => {
  const before = (await readJsonStore(h.core.blobs, 'keyset_keys')).records as Array<{ id: number; keyset_id: number }>;
  const ids = await rotateKeys(h.core.blobs, Date.now());
  const after = (await readJsonStore(h.core.blobs, 'keyset_keys')).records as Array<{ id: number; keyset_id: number }>;
  assert.equal(after.length, before.length + ids.length);
  assert.deepEqual(after.filter((k) => ids.includes(k.id)).map((k) => k.keyset_id).sort((a, b) => a - b), [-2, -1, 2, 3]);
  assert.ok(ids.every((id) => !before.some((k) => k.id === id)));
});

test('rotate-salts writes a new snapshot with the requested fraction rotated', async () => {
  const nowMs = Date.now() + 1000;
  const rotated = await rotateSalts(h.core.blobs, 0.25, nowMs);
  assert.equal(rotated, 16);
  const metadata = await readMetadata(h.core.blobs, 'salts');
  const snapshots = metadata?.salts as Array<{ effective: number; location: string; size: number }>;
  assert.equal(snapshots.length, 2);
  const [old, fresh] = snapshots.map((s) => s.location);
  const oldEntries = parseSaltFile((await readLocation(h.core.blobs, old)).toString('utf8'));
  const newEntries = parseSaltFile((await readLocation(h.core.blobs, fresh)).toString('utf8'));
  const changed = newEntries.filter((e, i) => e.currentSalt !== oldEntries[i].currentSalt);
  assert.equal(changed.length, 16);
  for (const e of changed) {
    assert.equal(e.lastUpdated, Math.floor(nowMs));
    assert.equal(e.previousSalt, oldEntries[newEntries.indexOf(e)].currentSalt);
  }
  // Core serves the new snapshot on the next request.
  const res = await fetch(`${h.core.url}/salt/refresh`, { headers: { authorization: `Bearer ${h.ds.operatorKey}` } });
  assert.equal(((await res.json()) as { salts: unknown[] }).salts.length, 2);
  await assert.rejects(rotateSalts(h.core.blobs, 2, nowMs));
});

test('enclave registrations reach the verifier of their protocol on the next poll', async () => {
  const cc = h.core.verifiers.get('azure-cc') as AzureCcVerifier;
  await registerEnclave(h.core.blobs, { protocol: 'azure-cc', id: 'digest-1' }, Date.now());
  await registerEnclave(h.core.blobs, { protocol: 'gcp-oidc', id: 'ignored' }, Date.now());
  assert.deepEqual(cc.allowlist(), []);
  await h.core.refresh();
  assert.deepEqual(cc.allowlist(), ['digest-1']);
  await unregisterEnclave(h.core.blobs, { id: 'digest-1' }, Date.now());
  await h.core.refresh();
  assert.deepEqual(cc.allowlist(), []);
  await assert.rejects(unregisterEnclave(h.core.blobs, { id: 'digest-1' }, Date.now()));
});

test('diffEnclaves compares by protocol and identifier', () => {
  const a = { protocol: 'azure-cc', identifier: 'x' };
  const b = { protocol: 'azure-sgx', identifier: 'x' };
  const c = { protocol: 'azure-cc', identifier: 'y' };
  assert.deepEqual(diffEnclaves([a, b], [b, c]), { added: [c], removed: [a] });
  assert.deepEqual(diffEnclaves([a], [{ ...a }]), { added: [], removed: [] });
});

test('uid2 init + uid2 core as child processes serve /attest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-cli-'));
  try {
    const init = await uid2('init', '--out', dir, '--buckets', '32');
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /api_key: UID2-C-L-999-/);
    assert.match(init.stdout, /secret: [A-Za-z0-9+/]{43}=/);
    const core = spawn(process.execPath, [join(repoRoot, 'bin/uid2.mjs'), 'core', '--data', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`core did not start: ${out}`)), 30_000);
        core.stdout.on('data', (d) => {
          out += d;
          const m = /core listening on (http:\/\/\S+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]);
          }
        });
        core.once('exit', () => reject(new Error(`core exited: ${out}`)));
      });
      const { readFile } = await import('node:fs/promises');
      const key = (await readFile(join(dir, 'operator-key.txt'), 'utf8')).trim();
      const res = await attest(url, key, { attestation_request: 'AA==', public_key: operatorKeyPair().spkiB64 });
      assert.equal(res.status, 200);
      assert.equal(res.json.status, 'success');
    } finally {
      core.kill('SIGTERM');
      await once(core, 'exit');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
