/**
 * The SDK and the CLI against a real operator on 127.0.0.1 (port 0) serving the upstream fixtures
 * with v2 encryption and CSTG on: generate → refresh → validate, map v2/v3, buckets, key sharing
 * and bidstream, CSTG, opt-out status; generated tokens decrypt with /v2/key/sharing keys.
 *
 * The fixtures are copied to a temp dir and given one extra default keyset for site 999 (the
 * all-roles client): without it site 999's tokens use the fallback keyset of site 2, whose
 * allowed_sites exclude 999, so no fixture client could decrypt them with its sharing keys.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { Uid2Client, Uid2ClientError, type IdentityTokens, type MapV3Entry } from '../../src/client/uid2-client.ts';
import { startOperator, type RunningOperator } from '../../src/operator/operator-service.ts';
import { buildOptOutSnapshot } from '../../src/operator/stores/optout-store.ts';
import { encodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { fixturesDir, repoRoot } from '../support/shared.ts';

const SPECIAL = { apiKey: 'UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=', secretKey: 'DzBzbjTJcYL0swDtFs2krRNu+g1Eokm2tBU4dEuD0Wk=' };
const DSP = { apiKey: 'UID2-C-L-123-t32pCM.5NCX1E94UgOd2f8zhsKmxzCoyhXohHYSSWR8U=', secretKey: 'FsD4bvtjMkeTonx6HvQp6u0EiI1ApGH4pIZzZ5P7UcQ=' };
const CSTG_KEYPAIR = JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core/test/client_side_keypairs/client_side_keypairs.json'), 'utf8'))[0];
const SITE_999_KEY_ID = 999_001;
const CLI_TIMEOUT_MS = 60_000;

let dataDir: string;
let op: RunningOperator;
let baseUrl: string;
let special: Uid2Client;
let dsp: Uid2Client;

function addSite999Keyset(dir: string): void {
  const keysetsPath = join(dir, 'com.uid2.core/test/keysets/keysets.json');
  const keysPath = join(dir, 'com.uid2.core/test/keyset_keys/keyset_keys.json');
  const keysets = JSON.parse(readFileSync(keysetsPath, 'utf8'));
  keysets.push({ keyset_id: 999_000, site_id: 999, name: 'round-trip site 999', allowed_sites: [], created: 1609459200, enabled: true, default: true });
  writeFileSync(keysetsPath, JSON.stringify(keysets));
  const keys = JSON.parse(readFileSync(keysPath, 'utf8'));
  keys.push({ id: SITE_999_KEY_ID, keyset_id: 999_000, created: 1609459200, activates: 1609459200, expires: 4088629662, secret: randomBytes(32).toString('base64') });
  writeFileSync(keysPath, JSON.stringify(keys));
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'uid2-round-trip-'));
  cpSync(fixturesDir, dataDir, { recursive: true });
  addSite999Keyset(dataDir);
  op = await startOperator({
    dataDir,
    files: [join(dataDir, 'conf', 'local-config.json')],
    flags: { enable_v2_encryption: true, client_side_token_generate: true, port: 0, metrics_port: 0, host: '127.0.0.1' },
    logger: pino({ level: 'silent' }),
  });
  baseUrl = `http://127.0.0.1:${op.port}`;
  special = new Uid2Client({ baseUrl, ...SPECIAL });
  dsp = new Uid2Client({ baseUrl, ...DSP });
});

after(async () => {
  await op?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/uid2.mjs ...` asynchronously (the operator shares this event loop). */
function cli(args: string[], creds = SPECIAL): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot, 'bin', 'uid2.mjs'), ...args],
      { cwd: repoRoot, timeout: CLI_TIMEOUT_MS, env: { ...process.env, UID2_BASE_URL: baseUrl, UID2_API_KEY: creds.apiKey, UID2_SECRET_KEY: creds.secretKey } },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function cliJson(args: string[], creds = SPECIAL): Promise<any> {
  const r = await cli(args, creds);
  assert.equal(r.code, 0, `uid2 ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function successIdentity(result: Awaited<ReturnType<Uid2Client['generateToken']>>): IdentityTokens {
  assert.equal(result.status, 'success');
  return (result as { identity: IdentityTokens }).identity;
}

test('SDK: generate → decrypt with sharing keys → validate → refresh', async () => {
  const identity = successIdentity(await special.generateToken({ email: 'user@example.com' }));
  assert.equal(identity.refresh_token.length, 388);

  const token = await special.decryptToken(identity.advertising_token);
  assert.equal(token.site_id, 999);
  assert.equal(token.site_key_id, SITE_999_KEY_ID);
  assert.equal(token.privacy_bits, 1);
  const mapped = await special.mapIdentities({ email: ['user@example.com'] });
  assert.equal(token.raw_uid, (mapped.email[0] as { u: string }).u);

  assert.equal(await special.validateToken(identity.advertising_token, { email: 'user@example.com' }), true);
  assert.equal(await special.validateToken(identity.advertising_token, { email: 'someone.else@example.com' }), false);

  const refreshed = successIdentity(await special.refreshToken(identity.refresh_token, identity.refresh_response_key));
  assert.notEqual(refreshed.refresh_token, identity.refresh_token);
  assert.equal((await special.decryptToken(refreshed.advertising_token)).raw_uid, token.raw_uid);
  // Refresh also works without an API key (the JS SDK sends none).
  const anonymous = new Uid2Client({ baseUrl, apiKey: '', secretKey: '' });
  assert.equal((await anonymous.refreshToken(refreshed.refresh_token, refreshed.refresh_response_key)).status, 'success');
});

test('SDK: soft outcomes and errors', async () => {
  assert.deepEqual(await special.generateToken({ email: 'optout@example.com' }), { status: 'optout' });
  const refreshOptout = successIdentity(await special.generateToken({ email: 'refresh-optout@example.com' }));
  assert.deepEqual(await special.refreshToken(refreshOptout.refresh_token, refreshOptout.refresh_response_key), { status: 'optout' });

  const badKey = new Uid2Client({ baseUrl, apiKey: 'UID2-C-L-999-nope', secretKey: SPECIAL.secretKey });
  await assert.rejects(badKey.keysSharing(), (e: unknown) => e instanceof Uid2ClientError && e.httpStatus === 401 && e.status === 'unauthorized');
  const wrongSecret = new Uid2Client({ baseUrl, apiKey: SPECIAL.apiKey, secretKey: DSP.secretKey });
  await assert.rejects(wrongSecret.keysSharing(), (e: unknown) => e instanceof Uid2ClientError && e.httpStatus === 400 && e.status === 'client_error');
  await assert.rejects(special.buckets('not a date'), (e: unknown) => e instanceof Uid2ClientError && e.upstreamMessage === 'invalid date, must conform to ISO 8601');
});

test('SDK: map v3 (binary) and v2 agree; buckets; keys for a DSP', async () => {
  const v3 = await special.mapIdentities({ email: ['user@example.com', 'optout@example.com', 'not an email'], phone: ['+12345678901'] });
  assert.ok('u' in v3.email[0]);
  assert.deepEqual(v3.email.slice(1), [{ e: 'optout' }, { e: 'invalid identifier' }] as MapV3Entry[]);
  assert.equal(v3.phone.length, 1);
  const v2 = await special.mapIdentitiesV2({ email: ['user@example.com'] });
  assert.equal(v2.mapped[0].advertising_id, (v3.email[0] as { u: string }).u);

  assert.ok((await special.buckets(new Date(Date.now() - 90 * 86_400_000))).length >= 1);
  // The fixture salts were "updated" up to 2027, so only a later time lists nothing.
  assert.deepEqual(await special.buckets(new Date(Date.UTC(2100, 0, 1))), []);

  const sharing = await dsp.keysSharing();
  assert.equal(sharing.caller_site_id, 123);
  assert.equal(sharing.master_keyset_id, 9999999);
  assert.equal(typeof sharing.token_expiry_seconds, 'string');
  const bidstream = await dsp.keysBidstream();
  assert.deepEqual(bidstream.keys.map((k) => k.id), sharing.keys.map((k) => k.id));
  assert.ok(bidstream.site_data?.some((s) => s.id === 123 && s.domain_names.includes('localhost')));
  assert.ok((await dsp.keyLatest()).every((k) => typeof k.site_id === 'number'));
});

test('SDK: CSTG token for site 123 decrypts with the DSP keys and carries the client-side bit', async () => {
  const result = await special.clientGenerate({
    identity: { email: 'user@example.com' },
    subscriptionId: CSTG_KEYPAIR.subscription_id,
    serverPublicKey: CSTG_KEYPAIR.public_key,
    origin: 'http://localhost:8080',
  });
  const identity = successIdentity(result);
  const token = await dsp.decryptToken(identity.advertising_token, { keySource: 'bidstream' });
  assert.equal(token.site_id, 123);
  assert.equal(token.privacy_bits, 3);
  assert.equal(token.is_client_side_generated, true);
  assert.equal(successIdentity(await special.refreshToken(identity.refresh_token, identity.refresh_response_key)).advertising_token.length > 0, true);
  await assert.rejects(
    special.clientGenerate({ identity: { email: 'a@b.com' }, subscriptionId: CSTG_KEYPAIR.subscription_id, serverPublicKey: CSTG_KEYPAIR.public_key, origin: 'https://evil.example' }),
    (e: unknown) => e instanceof Uid2ClientError && e.httpStatus === 403 && e.status === 'invalid_http_origin',
  );
});

test('SDK: optout/status reports raw UIDs present in the opt-out store', async () => {
  const v3 = await special.mapIdentities({ email: ['user@example.com'] });
  const uid = (v3.email[0] as { u: string }).u;
  const previous = op.deps.stores.optout.current();
  op.deps.stores.optout.swap(buildOptOutSnapshot([encodeOptOutRecord({ identityHash: Buffer.alloc(32, 9), advertisingId: Buffer.from(uid, 'base64'), timestampS: 1_700_000_000 })], 2));
  try {
    assert.deepEqual(await special.optoutStatus([uid, 'AAAA']), { opted_out: [{ advertising_id: uid, opted_out_since: 1_700_000_000_000 }] });
    const cliResult = await cliJson(['optout', 'status', uid]);
    assert.deepEqual(cliResult.opted_out.map((o: any) => o.advertising_id), [uid]);
  } finally {
    op.deps.stores.optout.swap(previous);
  }
});

test('CLI: token generate | refresh | validate | decrypt', async () => {
  const generated = await cliJson(['token', 'generate', '--email', 'user@example.com']);
  assert.equal(generated.status, 'success');
  const refreshed = await cliJson(['token', 'refresh', JSON.stringify(generated)]);
  assert.equal(refreshed.status, 'success');
  const validated = await cliJson(['token', 'validate', '--token', refreshed.identity.advertising_token, '--email', 'user@example.com']);
  assert.deepEqual(validated, { valid: true });
  const decrypted = await cliJson(['decrypt', generated.identity.advertising_token]);
  assert.equal(decrypted.site_id, 999);
  assert.equal(decrypted.version, 4);
  for (const field of ['raw_uid', 'established_ms', 'expires_ms', 'created_ms', 'refreshed_ms', 'master_key_id', 'site_key_id', 'operator', 'privacy_bits']) {
    assert.ok(field in decrypted, field);
  }
});

// Each CLI run is a process that loads every command module, so these cover each command once.
test('CLI: map, buckets, keys sharing, cstg', async () => {
  const v3 = await cliJson(['map', '--email', 'user@example.com', 'JaneSaoirse+UID2@gmail.com', '--phone', '+12345678901']);
  assert.equal(v3.email.length, 2);
  assert.equal(v3.phone.length, 1);
  const buckets = await cliJson(['buckets', '--since', new Date(Date.now() - 90 * 86_400_000).toISOString()]);
  assert.ok(buckets.length >= 1);
  const sharing = await cliJson(['keys', 'sharing'], DSP);
  assert.equal(sharing.caller_site_id, 123);
  const cstg = await cliJson(['token', 'cstg', '--email', 'user@example.com', '--subscription-id', CSTG_KEYPAIR.subscription_id, '--public-key', CSTG_KEYPAIR.public_key, '--origin', 'http://localhost']);
  assert.equal(cstg.status, 'success');
});

test('CLI: operator errors go to stderr with a non-zero exit code', async () => {
  const r = await cli(['keys', 'bidstream'], { apiKey: 'UID2-C-L-999-nope', secretKey: SPECIAL.secretKey });
  assert.notEqual(r.code, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /"http_status":401/);
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
});
