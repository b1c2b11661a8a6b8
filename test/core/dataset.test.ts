/** The demo data set has the upstream shapes (fixtures `com.uid2.core/test/*`) and parses. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixturesDir } from '../support/shared.ts';
import { createDemoDataset, type DemoDataset } from '../../src/core/dataset/index.ts';
import { generateSaltFile } from '../../src/core/dataset/salt-csv.ts';
import { parseClientRecords, parseOperatorRecords, KeyIndex } from '../../src/auth/index.ts';
import { parseSaltFile } from '../../src/protocol/salt-file.ts';

let dir: string;
let ds: DemoDataset;
const NOW = Date.UTC(2026, 0, 15);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid2-ds-'));
  ds = await createDemoDataset({ out: dir, buckets: 1000, now: NOW });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const json = async (path: string): Promise<any> => JSON.parse(await readFile(path, 'utf8'));
const fixture = (store: string, file: string): Promise<any> => json(join(fixturesDir, 'com.uid2.core', 'test', store, file));
const ours = async (store: string): Promise<{ metadata: any; content: any }> => {
  const metadata = await json(join(dir, 'stores', store, 'metadata.json'));
  const ref = Object.values(metadata).find((v): v is { location: string } => typeof v === 'object' && v !== null && 'location' in v);
  return { metadata, content: ref ? await json(join(dir, ref.location)) : undefined };
};
const fieldsOf = (records: object[]): string[] => [...new Set(records.flatMap((r) => Object.keys(r)))].sort();

const STORES: Array<[string, string]> = [
  ['clients', 'clients.json'],
  ['keysets', 'keysets.json'],
  ['keyset_keys', 'keyset_keys.json'],
  ['sites', 'sites.json'],
  ['client_side_keypairs', 'client_side_keypairs.json'],
  ['services', 'services.json'],
  ['service_links', 'service_links.json'],
  ['cloud_encryption_keys', 'cloud_encryption_keys.json'],
];

for (const [store, file] of STORES) {
  test(`${store}: metadata and record fields match the upstream fixture`, async () => {
    const mine = await ours(store);
    const theirs = await fixture(store, 'metadata.json');
    assert.deepEqual(Object.keys(mine.metadata).sort(), Object.keys(theirs).sort());
    assert.ok(Array.isArray(mine.content));
    if (mine.content.length === 0) return;
    const upstream = await fixture(store, file);
    // Our records never hold a plaintext key; every other field is one upstream uses.
    const upstreamFields = fieldsOf(upstream).filter((f) => f !== 'key');
    for (const f of fieldsOf(mine.content)) assert.ok(upstreamFields.includes(f), `${store}.${f} is not an upstream field`);
    for (const f of fieldsOf([upstream[0]]).filter((f) => f !== 'key' && f !== 'name')) {
      assert.ok(fieldsOf(mine.content).includes(f), `${store} lacks ${f}`);
    }
  });
}

test('salts metadata has the upstream fields and the CSV parses with 11 fields per line', async () => {
  const { metadata } = await ours('salts');
  const upstream = await fixture('salts', 'metadata.json');
  assert.deepEqual(Object.keys(metadata).sort(), Object.keys(upstream).sort());
  assert.deepEqual(Object.keys(metadata.salts[0]).sort(), Object.keys(upstream.salts[0]).sort());
  assert.equal(metadata.salts[0].size, 1000);
  assert.ok(metadata.salts[0].effective <= NOW && metadata.salts[0].expires > NOW + 365 * 86_400_000);
  const text = await readFile(join(dir, metadata.salts[0].location), 'utf8');
  assert.ok(text.split('\n').filter(Boolean).every((l) => l.split(',').length === 11));
  const entries = parseSaltFile(text);
  assert.equal(entries.length, 1000);
  assert.equal(Buffer.from(entries[0].currentSalt as string, 'base64').length, 32);
});

test('runtime config, master/refresh/fallback/site keysets with keys active now', async () => {
  const rc = await json(join(dir, 'stores/runtime_config/metadata.json'));
  assert.deepEqual(Object.keys(rc).sort(), Object.keys(await fixture('runtime_config', 'metadata.json')).sort());
  const keysets = (await ours('keysets')).content as Array<{ keyset_id: number; site_id: number }>;
  assert.deepEqual(keysets.map((k) => [k.keyset_id, k.site_id]), [[-1, -1], [-2, -2], [2, 2], [3, 999]]);
  const keys = (await ours('keyset_keys')).content as Array<{ keyset_id: number; activates: number; expires: number }>;
  for (const id of [-1, -2, 2, 3]) {
    const k = keys.find((x) => x.keyset_id === id);
    assert.ok(k && k.activates * 1000 <= NOW && k.expires * 1000 > NOW + 365 * 86_400_000, `keyset ${id}`);
  }
});

test('the demo client and operator keys are found by the shared auth parsers', async () => {
  const clients = parseClientRecords((await ours('clients')).content);
  const client = new KeyIndex(clients).authorize(ds.apiKey, ['GENERATOR']);
  assert.ok(client);
  assert.deepEqual([...client.roles].sort(), ['GENERATOR', 'ID_READER', 'MAPPER', 'OPTOUT', 'SHARER']);
  assert.equal(client.secret.toString('base64'), ds.secret);
  assert.match(ds.apiKey, /^UID2-C-L-999-.{6}\..{38}$/);
  const operators = parseOperatorRecords((await ours('operators')).content);
  const op = new KeyIndex(operators).authorize(ds.operatorKey, ['OPERATOR']);
  assert.equal(op?.protocol, 'trusted');
  assert.equal(op?.operatorType, 'PRIVATE');
  assert.equal((await readFile(join(dir, 'operator-key.txt'), 'utf8')).trim(), ds.operatorKey);
  const demo = await json(join(dir, 'demo-client.json'));
  assert.deepEqual(demo, { api_key: ds.apiKey, secret: ds.secret, cstg: { subscription_id: ds.subscriptionId, public_key: ds.publicKey } });
  assert.match(ds.publicKey, /^UID2-X-L-MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/);
});

test('operator config points at /stores and enables v2 encryption and CSTG', async () => {
  const config = await json(join(dir, 'operator-config.json'));
  assert.equal(config.salts_metadata_path, '/stores/salts/metadata.json');
  assert.equal(config.clients_metadata_path, '/stores/clients/metadata.json');
  assert.equal(config.enable_v2_encryption, true);
  assert.equal(config.client_side_token_generate, true);
  const sites = (await ours('sites')).content;
  assert.deepEqual(sites[0].domain_names, ['localhost']);
});

test('an EUID data set uses EUID key prefixes', async () => {
  const euidDir = await mkdtemp(join(tmpdir(), 'uid2-ds-euid-'));
  try {
    const euid = await createDemoDataset({ out: euidDir, buckets: 4, identityScope: 'euid' });
    assert.match(euid.apiKey, /^EUID-C-L-999-/);
    assert.match(euid.operatorKey, /^EUID-O-L-999-/);
    assert.equal((await json(join(euidDir, 'operator-config.json'))).identity_scope, 'euid');
  } finally {
    await rm(euidDir, { recursive: true, force: true });
  }
});

test('a 2^20-bucket salt file is generated in full', () => {
  const file = generateSaltFile(1 << 20, NOW);
  let lines = 0;
  for (let i = file.indexOf(10); i !== -1; i = file.indexOf(10, i + 1)) lines++;
  assert.equal(lines, 1 << 20);
  const last = file.subarray(file.lastIndexOf(10, file.length - 2) + 1).toString('latin1');
  assert.equal(parseSaltFile(last)[0].id, 1_000_000 + (1 << 20) - 1);
});
