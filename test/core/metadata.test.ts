/** Metadata routes (spec operator-spec.md §12.2/§12.3) and the attestation checks in front of them. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { attest, operatorKeyPair, startHarness, type Harness } from './core-harness.ts';
import { AttestationTokenCodec } from '../../src/attestation/attestation-token.ts';
import { aesGcmDecrypt } from '../../src/protocol/aes.ts';
import { addOperator } from '../../src/core/admin/admin-records.ts';
import { readJsonStore, readMetadata } from '../../src/core/stores/store-reader.ts';
import { writeJsonStore } from '../../src/core/stores/store-writer.ts';
import { pathOfLocation } from '../../src/core/stores/store-layout.ts';

let clock = Date.now();
let h: Harness;
let codec: AttestationTokenCodec;

before(async () => {
  h = await startHarness({ now: () => clock });
  const config = JSON.parse(await readFile(join(h.dir, 'core-config.json'), 'utf8'));
  codec = await AttestationTokenCodec.create(config.att_token_enc_key, config.att_token_enc_salt);
});
after(async () => {
  await h.close();
});

async function get(path: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  const res = await fetch(`${h.core.url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? JSON.parse(text) : text };
}

const ROUTES: Array<[string, string]> = [
  ['/salt/refresh', 'salts'],
  ['/clients/refresh', 'clients'],
  ['/key/keyset/refresh', 'keysets'],
  ['/key/keyset-keys/refresh', 'keyset_keys'],
  ['/sites/refresh', 'sites'],
  ['/client_side_keypairs/refresh', 'client_side_keypairs'],
  ['/services/refresh', 'services'],
  ['/service_links/refresh', 'service_links'],
];

function locationsOf(json: unknown): string[] {
  if (Array.isArray(json)) return json.flatMap(locationsOf);
  if (typeof json !== 'object' || json === null) return [];
  return Object.entries(json).flatMap(([k, v]) => (k === 'location' && typeof v === 'string' ? [v] : locationsOf(v)));
}

test('each metadata route serves the stored metadata with signed links that download the right bytes', async () => {
  const auth = { authorization: `Bearer ${h.ds.operatorKey}` };
  for (const [route, store] of ROUTES) {
    const { status, json } = await get(route, auth);
    assert.equal(status, 200, route);
    const stored = await readMetadata(h.core.blobs, store as 'salts');
    assert.equal(json.version, stored?.version, route);
    const links = locationsOf(json);
    const originals = locationsOf(stored);
    assert.equal(links.length, originals.length);
    for (const [i, link] of links.entries()) {
      assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/blobs\/.+\?exp=\d+&sig=[0-9a-f]{64}$/);
      const res = await fetch(link);
      assert.equal(res.status, 200, link);
      const expected = await h.core.blobs.get(pathOfLocation(originals[i]) as string);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), expected);
    }
  }
});

test('signed links expire', async () => {
  const { json } = await get('/clients/refresh', { authorization: `Bearer ${h.ds.operatorKey}` });
  const link = json.client_keys.location as string;
  assert.equal((await fetch(link)).status, 200);
  clock += (h.core.config.signedUrlTtlSeconds + 1) * 1000;
  try {
    assert.equal((await fetch(link)).status, 403);
    const tampered = link.replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    assert.equal((await fetch(tampered)).status, 403);
  } finally {
    clock = Date.now();
  }
});

test('non-trusted operators need a valid, unexpired Attestation-Token minted for their own key', async () => {
  const { key } = await addOperator(h.core.blobs, { name: 'cc-op', protocol: 'azure-cc', siteId: 999, operatorType: 'PRIVATE' }, Date.now());
  await h.core.refresh();
  const auth = { authorization: `Bearer ${key}` };
  const unauthorized = { status: 401, json: { status: 'unauthorized' } };
  assert.deepEqual(await get('/salt/refresh', auth), unauthorized);
  assert.deepEqual(await get('/salt/refresh', { ...auth, 'attestation-token': 'garbage' }), unauthorized);
  assert.deepEqual(await get('/salt/refresh', { ...auth, 'attestation-token': codec.mint(h.ds.operatorKey, clock + 3600_000) }), unauthorized);
  assert.deepEqual(await get('/salt/refresh', { ...auth, 'attestation-token': codec.mint(key, clock - 1000) }), unauthorized);
  const good = codec.mint(key, clock + 3600_000);
  const tampered = `${good[0] === 'A' ? 'B' : 'A'}${good.slice(1)}`;
  assert.deepEqual(await get('/salt/refresh', { ...auth, 'attestation-token': tampered }), unauthorized);
  assert.equal((await get('/salt/refresh', { ...auth, 'attestation-token': good })).status, 200);
  assert.deepEqual(await get('/salt/refresh', { authorization: 'Bearer nope', 'attestation-token': good }), unauthorized);
});

test('/operator/config serves the runtime config inline; cloud keys are inline for the caller site', async () => {
  const auth = { authorization: `Bearer ${h.ds.operatorKey}` };
  const config = await get('/operator/config', auth);
  assert.equal(config.status, 200);
  assert.equal(config.json.runtime_config.identity_environment, 'test');
  assert.equal(typeof config.json.version, 'number');
  const empty = await get('/cloud_encryption_keys/retrieve', auth);
  assert.deepEqual(empty, { status: 200, json: { cloud_encryption_keys: [] } });
});

test('Encrypted: true serves a cloud-key encrypted copy when the operator site has a key', async () => {
  const secret = Buffer.alloc(32, 7);
  const nowS = Math.floor(Date.now() / 1000);
  await writeJsonStore(h.core.blobs, 'cloud_encryption_keys', [
    { id: 11, siteId: 999, activates: nowS - 100, created: nowS - 100, secret: secret.toString('base64') },
    { id: 12, siteId: 998, activates: nowS - 100, created: nowS - 100, secret: Buffer.alloc(32, 1).toString('base64') },
  ], Date.now());
  const auth = { authorization: `Bearer ${h.ds.operatorKey}` };
  const keys = await get('/cloud_encryption_keys/retrieve', auth);
  assert.deepEqual(keys.json.cloud_encryption_keys.map((k: { id: number }) => k.id), [11]);
  const { json } = await get('/clients/refresh', { ...auth, encrypted: 'true' });
  const body = JSON.parse(await (await fetch(json.client_keys.location)).text());
  assert.equal(body.key_id, 11);
  const plain = aesGcmDecrypt(secret, Buffer.from(body.encrypted_payload, 'base64'));
  const stored = await readJsonStore(h.core.blobs, 'clients');
  assert.deepEqual(JSON.parse(plain.toString('utf8')), stored.records);
});

test('with enforce_jwt a trusted operator needs the Core JWT; private operators get no public stores', async () => {
  const strict = await startHarness({}, { enforce_jwt: true, private_operators_get_public_stores: false });
  try {
    const auth = { authorization: `Bearer ${strict.ds.operatorKey}` };
    assert.equal((await fetch(`${strict.core.url}/salt/refresh`, { headers: auth })).status, 401);
    const { json } = await attest(strict.core.url, strict.ds.operatorKey, { attestation_request: 'AA==', public_key: operatorKeyPair().spkiB64 });
    const withJwt = { ...auth, 'attestation-jwt': json.body.attestation_jwt_core };
    assert.equal((await fetch(`${strict.core.url}/salt/refresh`, { headers: withJwt })).status, 200);
    // The opt-out JWT has the wrong audience for Core.
    assert.equal((await fetch(`${strict.core.url}/salt/refresh`, { headers: { ...auth, 'attestation-jwt': json.body.attestation_jwt_optout } })).status, 401);
    const sites = await fetch(`${strict.core.url}/sites/refresh`, { headers: withJwt });
    assert.equal(sites.status, 403);
    assert.deepEqual(await sites.json(), { status: 'error', message: 'endpoint /sites/refresh is for public operators only' });
  } finally {
    await strict.close();
  }
});
