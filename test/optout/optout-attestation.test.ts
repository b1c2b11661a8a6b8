/**
 * OptOut checks an operator's attestation exactly as Core does (issue 14 §2, attestation-azure.md
 * §1.5): for each protocol (`azure-cc`, `trusted`), with `enforce_jwt` off and on, the same
 * headers get the same status from Core's `/salt/refresh` (with the Core JWT) as from OptOut's
 * `/optout/refresh` and `/optout/replicate` (with the opt-out JWT). Core and OptOut run on one
 * data set with the same token keys, over real sockets.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttestationTokenCodec } from '../../src/attestation/attestation-token.ts';
import { signOperatorJwt } from '../../src/attestation/operator-jwt.ts';
import { addOperator } from '../../src/core/admin/admin-records.ts';
import { openBlobBackend } from '../../src/core/blob-backend.ts';
import { startCore, type CoreService } from '../../src/core/core-service.ts';
import { createDemoDataset, CORE_CONFIG_FILE, DEMO_SITE_ID, OPTOUT_CONFIG_FILE } from '../../src/core/dataset/index.ts';
import { readJsonStore } from '../../src/core/stores/store-reader.ts';
import { loadOrCreateSigningKey, SIGNING_KEY_FILE, type CoreSigningKey } from '../../src/core/signing-key.ts';
import { hashClientKey } from '../../src/protocol/client-key.ts';
import { startOptOutService, type RunningOptOutService } from '../../src/optout/optout-service.ts';

const OPTOUT_URL = 'http://optout.test';

let dir: string;
let codec: AttestationTokenCodec;
let signingKey: CoreSigningKey;
const keys: Record<'azure-cc' | 'trusted', { key: string; keyHash: string }> = {} as never;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid2-optout-attest-'));
  const ds = await createDemoDataset({ out: dir, buckets: 64 });
  const { store } = await openBlobBackend({ dataDir: dir, kind: 'fs', baseUrl: '' });
  const azure = await addOperator(store, { name: 'cc', protocol: 'azure-cc', siteId: DEMO_SITE_ID, operatorType: 'PRIVATE' }, Date.now());
  const operators = (await readJsonStore(store, 'operators')).records as Array<{ key_hash: string; key_salt: string }>;
  const hashOf = (key: string) => operators.find((r) => hashClientKey(r.key_salt, key) === r.key_hash)!.key_hash;
  keys['azure-cc'] = { key: azure.key, keyHash: hashOf(azure.key) };
  keys.trusted = { key: ds.operatorKey, keyHash: hashOf(ds.operatorKey) };
  const config = JSON.parse(await readFile(join(dir, CORE_CONFIG_FILE), 'utf8')) as { att_token_enc_key: string; att_token_enc_salt: string };
  codec = await AttestationTokenCodec.create(config.att_token_enc_key, config.att_token_enc_salt);
  signingKey = await loadOrCreateSigningKey(join(dir, SIGNING_KEY_FILE));
});
after(() => rm(dir, { recursive: true, force: true }));

interface Services {
  readonly core: CoreService;
  readonly optout: RunningOptOutService;
  close(): Promise<void>;
}

/** Core and OptOut on the data set; the environment layer sets `enforce_jwt` and the URLs both agree on. */
async function services(enforceJwt: boolean): Promise<Services> {
  const core = await startCore({ dataDir: dir, port: 0, env: { enforce_jwt: String(enforceJwt), optout_url: OPTOUT_URL, maa_server_base_url: 'http://127.0.0.1:9' } });
  const optout = await startOptOutService({
    dataDir: dir,
    background: false,
    // Core's public URL (the JWT issuer) is the data set's; its key is fetched from where it listens.
    env: { enforce_jwt: String(enforceJwt), optout_url: OPTOUT_URL, core_public_url: core.config.corePublicUrl, core_jwks_url: `${core.url}/.well-known/jwks.json` },
  });
  return {
    core,
    optout,
    async close() {
      await optout.close();
      await core.close();
    },
  };
}

type HeaderCase = (who: { key: string; keyHash: string }, audience: string, issuer: string) => Promise<Record<string, string>>;

const hour = 3_600_000;
const jwt = (who: { keyHash: string }, audience: string, issuer: string, expiresAtMs = Date.now() + hour) =>
  signOperatorJwt(signingKey, { keyHash: who.keyHash, name: 'op', roles: ['OPERATOR', 'OPTOUT'], siteId: DEMO_SITE_ID, enclaveId: 'e', enclaveType: 'x', operatorVersion: 'v', expiresAtMs, issuer, audience });

const CASES: Record<string, HeaderCase> = {
  'no attestation headers': async () => ({}),
  'garbage token': async () => ({ 'attestation-token': 'garbage-x-g' }),
  'token of another key': async (who) => ({ 'attestation-token': codec.mint(who.key === keys.trusted.key ? keys['azure-cc'].key : keys.trusted.key, Date.now() + hour) }),
  'expired token': async (who) => ({ 'attestation-token': codec.mint(who.key, Date.now() - 1000) }),
  'token, no JWT': async (who) => ({ 'attestation-token': codec.mint(who.key, Date.now() + hour) }),
  'token and JWT': async (who, audience, issuer) => ({ 'attestation-token': codec.mint(who.key, Date.now() + hour), 'attestation-jwt': await jwt(who, audience, issuer) }),
  'token and a JWT for the other service': async (who, audience, issuer) => ({
    'attestation-token': codec.mint(who.key, Date.now() + hour),
    'attestation-jwt': await jwt(who, audience === OPTOUT_URL ? issuer : OPTOUT_URL, issuer),
  }),
  'JWT only': async (who, audience, issuer) => ({ 'attestation-jwt': await jwt(who, audience, issuer) }),
};

async function status(url: string, init: RequestInit): Promise<number> {
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return res.status;
}

const replicateQuery = `identity_hash=${encodeURIComponent(Buffer.alloc(32, 7).toString('base64'))}&advertising_id=${encodeURIComponent(Buffer.alloc(32, 8).toString('base64'))}`;

for (const enforceJwt of [false, true]) {
  test(`enforce_jwt ${enforceJwt}: OptOut answers every protocol and header combination as Core does`, async () => {
    const s = await services(enforceJwt);
    try {
      const issuer = s.core.config.corePublicUrl;
      for (const protocol of ['azure-cc', 'trusted'] as const) {
        const who = keys[protocol];
        for (const [name, make] of Object.entries(CASES)) {
          const auth = { authorization: `Bearer ${who.key}` };
          const coreStatus = await status(`${s.core.url}/salt/refresh`, { headers: { ...auth, ...(await make(who, issuer, issuer)) } });
          const optoutHeaders = { ...auth, ...(await make(who, OPTOUT_URL, issuer)) };
          const refresh = await status(`${s.optout.url}/optout/refresh`, { headers: optoutHeaders });
          const replicate = await status(`${s.optout.url}/optout/replicate?${replicateQuery}`, { method: 'POST', headers: optoutHeaders });
          const label = `${protocol}, ${name}`;
          assert.ok(coreStatus === 200 || coreStatus === 401, `${label}: Core answered ${coreStatus}`);
          assert.equal(refresh, coreStatus, `${label}: /optout/refresh ${refresh}, Core ${coreStatus}`);
          assert.equal(replicate, coreStatus, `${label}: /optout/replicate ${replicate}, Core ${coreStatus}`);
        }
      }
      // The defect of issue 14 §2: an azure-cc key with no attestation is refused everywhere.
      const bare = { authorization: `Bearer ${keys['azure-cc'].key}` };
      assert.equal(await status(`${s.optout.url}/optout/refresh`, { headers: bare }), 401);
      assert.equal(await status(`${s.optout.url}/optout/replicate?${replicateQuery}`, { method: 'POST', headers: bare }), 401);
      // And an attested one gets through both routes.
      const attested = { ...bare, ...(await CASES['token and JWT'](keys['azure-cc'], OPTOUT_URL, issuer)) };
      assert.equal(await status(`${s.optout.url}/optout/refresh`, { headers: attested }), 200);
      assert.equal(await status(`${s.optout.url}/optout/replicate?${replicateQuery}`, { method: 'POST', headers: attested }), 200);
    } finally {
      await s.close();
    }
  });
}

test('without Core token keys OptOut refuses every key but trusted ones, and trusted ones too once a JWT is required', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'uid2-optout-nokeys-'));
  try {
    // The data set without its OptOut config: no token keys.
    await cp(dir, empty, { recursive: true });
    await rm(join(empty, OPTOUT_CONFIG_FILE));
    for (const [enforceJwt, trustedStatus] of [[false, 200], [true, 401]] as const) {
      const optout = await startOptOutService({ dataDir: empty, background: false, env: { enforce_jwt: String(enforceJwt) } });
      try {
        const get = (key: string) => status(`${optout.url}/optout/refresh`, { headers: { authorization: `Bearer ${key}`, 'attestation-token': codec.mint(key, Date.now() + hour) } });
        assert.equal(await get(keys['azure-cc'].key), 401);
        assert.equal(await get(keys.trusted.key), trustedStatus);
      } finally {
        await optout.close();
      }
    }
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
