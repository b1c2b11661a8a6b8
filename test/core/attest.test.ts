/** POST /attest (spec attestation-azure.md §2.1) against a real Core on 127.0.0.1:0. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import forge from 'node-forge';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { attest, operatorKeyPair, startHarness, type Harness } from './core-harness.ts';
import { answerBeforeBody } from '../support/service-process.ts';
import { AttestationTokenCodec } from '../../src/attestation/attestation-token.ts';
import { jwtSubject } from '../../src/attestation/operator-jwt.ts';
import { addOperator, revokeOperator } from '../../src/core/admin/admin-records.ts';
import { readJsonStore } from '../../src/core/stores/store-reader.ts';
import { writeJsonStore } from '../../src/core/stores/store-writer.ts';

let h: Harness;
const pair = operatorKeyPair();
const trustedRequest = { attestation_request: 'AA==', public_key: pair.spkiB64, operator_type: 'private', application_name: 'uid2-operator' };

before(async () => {
  h = await startHarness();
});
after(async () => {
  await h.close();
});

function decryptWithForge(b64: string): string {
  const pem = pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem);
  return key.decrypt(forge.util.decode64(b64), 'RSAES-PKCS1-V1_5');
}

test('trusted operator attests; the RSA-wrapped token decrypts with node-forge and carries the key', async () => {
  const before = Date.now();
  const { status, json } = await attest(h.core.url, h.ds.operatorKey, trustedRequest);
  assert.equal(status, 200);
  assert.equal(json.status, 'success');
  assert.deepEqual(Object.keys(json.body).sort(), ['attestation_jwt_core', 'attestation_jwt_optout', 'attestation_token', 'expiresAt', 'optout_url']);
  assert.equal(json.body.optout_url, h.core.config.optoutUrl);
  const token = decryptWithForge(json.body.attestation_token);
  assert.match(token, /^[A-Za-z0-9+/=]+-[A-Za-z0-9+/=]+-g$/);
  const config = JSON.parse(await readFile(join(h.dir, 'core-config.json'), 'utf8'));
  const codec = await AttestationTokenCodec.create(config.att_token_enc_key, config.att_token_enc_salt);
  const claims = codec.decrypt(token);
  assert.ok(claims);
  assert.equal(claims.operatorKey, h.ds.operatorKey);
  // Lifetime 7200 s plus a random 300-600 s (§1.4).
  const expiresMs = Date.parse(json.body.expiresAt);
  assert.ok(expiresMs >= before + 7500_000 && expiresMs <= Date.now() + 7800_000, json.body.expiresAt);
  assert.equal(claims.expiresAtSeconds, Math.floor(expiresMs / 1000));
});

test('JWTs carry the claims of §1.5 and verify against the published JWKS', async () => {
  const { json } = await attest(h.core.url, h.ds.operatorKey, trustedRequest);
  const jwks = createRemoteJWKSet(new URL(`${h.core.url}/.well-known/jwks.json`));
  const operators = (await readJsonStore(h.core.blobs, 'operators')).records as Array<Record<string, unknown>>;
  const keyHash = String(operators[0].key_hash);
  const core = await jwtVerify(json.body.attestation_jwt_core, jwks, { issuer: h.core.config.corePublicUrl, audience: h.core.config.corePublicUrl });
  const optout = await jwtVerify(json.body.attestation_jwt_optout, jwks, { issuer: h.core.config.corePublicUrl, audience: h.core.config.optoutUrl });
  assert.equal(decodeProtectedHeader(json.body.attestation_jwt_core).alg, 'RS256');
  for (const { payload } of [core, optout]) {
    assert.equal(payload.sub, jwtSubject(keyHash));
    assert.equal(payload.roles, 'OPERATOR,OPTOUT');
    assert.equal(payload.siteId, '999');
    assert.equal(payload.enclaveId, 'trusted');
    assert.equal(payload.enclaveType, 'trusted');
    assert.equal(payload.name, 'Demo operator');
    assert.equal(payload.exp, Math.floor(Date.parse(json.body.expiresAt) / 1000));
    assert.equal(typeof payload.jti, 'string');
    assert.equal(payload.operatorVersion, 'unknown client version');
  }
});

test('401 for a missing, unknown or revoked operator key', async () => {
  assert.deepEqual(await attest(h.core.url, undefined, trustedRequest), { status: 401, json: { status: 'unauthorized' } });
  assert.deepEqual(await attest(h.core.url, 'UID2-O-L-999-abcdef.' + 'x'.repeat(38), trustedRequest), { status: 401, json: { status: 'unauthorized' } });
  const { key } = await addOperator(h.core.blobs, { name: 'to-revoke', protocol: 'trusted', siteId: 5, operatorType: 'PRIVATE' }, Date.now());
  await h.core.refresh();
  assert.equal((await attest(h.core.url, key, trustedRequest)).status, 200);
  await revokeOperator(h.core.blobs, 'to-revoke', Date.now());
  await h.core.refresh();
  assert.deepEqual(await attest(h.core.url, key, trustedRequest), { status: 401, json: { status: 'unauthorized' } });
});

test('400 for a non-JSON body or a missing attestation_request', async () => {
  assert.deepEqual(await attest(h.core.url, h.ds.operatorKey, 'not json'), { status: 400, json: { status: 'request body is not a valid json' } });
  assert.deepEqual(await attest(h.core.url, h.ds.operatorKey, '[1,2]'), { status: 400, json: { status: 'request body is not a valid json' } });
  assert.deepEqual(await attest(h.core.url, h.ds.operatorKey, { public_key: pair.spkiB64 }), { status: 400, json: { status: 'no attestation_request attached' } });
  assert.deepEqual(await attest(h.core.url, h.ds.operatorKey, { attestation_request: '' }), { status: 400, json: { status: 'no attestation_request attached' } });
});

test('413 for a body over 1 MiB, refused before it is read', async () => {
  const res = await answerBeforeBody(`${h.core.url}/attest`, (1 << 20) + 1, { authorization: `Bearer ${h.ds.operatorKey}` });
  assert.deepEqual(res, { status: 413, body: '{"status":"error","message":"bad request"}' });
});

test('403 INVALID_PROTOCOL for an operator whose protocol has no verifier', async () => {
  const { key } = await addOperator(h.core.blobs, { name: 'nitro', protocol: 'aws-nitro', siteId: 6, operatorType: 'PRIVATE' }, Date.now());
  await h.core.refresh();
  assert.deepEqual(await attest(h.core.url, key, trustedRequest), { status: 403, json: { status: 'protocol not found' } });
});

test('403 INVALID_TYPE when operator_type differs from the key record', async () => {
  const res = await attest(h.core.url, h.ds.operatorKey, { ...trustedRequest, operator_type: 'public' });
  assert.deepEqual(res, { status: 403, json: { status: 'attestation failure; invalid operator type' } });
  // Case-insensitive match passes.
  assert.equal((await attest(h.core.url, h.ds.operatorKey, { ...trustedRequest, operator_type: 'PRIVATE' })).status, 200);
});

test('verifier failures map to 403 (operator at fault) and 500 (Core at fault) with {status, message}', async () => {
  const { key } = await addOperator(h.core.blobs, { name: 'cc', protocol: 'azure-cc', siteId: 7, operatorType: 'PRIVATE' }, Date.now());
  await h.core.refresh();
  const notJwt = await attest(h.core.url, key, { attestation_request: Buffer.from('garbage').toString('base64'), public_key: pair.spkiB64 });
  assert.equal(notJwt.status, 403);
  assert.equal(notJwt.json.message, 'Cannot verify payload with the signature');
  assert.equal(typeof notJwt.json.status, 'string');
  // A well-formed JWT whose signing keys cannot be fetched (MAA unreachable) is INTERNAL_ERROR.
  const jwt = `${Buffer.from('{"alg":"RS256","kid":"k1"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;
  const unreachable = await attest(h.core.url, key, { attestation_request: Buffer.from(jwt).toString('base64'), public_key: pair.spkiB64 });
  assert.equal(unreachable.status, 500);
  assert.equal(unreachable.json.message, 'There was an internal processing error');
});

test('a public key that is not RSA SPKI is a 500 attestation failure, not a crash', async () => {
  const res = await attest(h.core.url, h.ds.operatorKey, { attestation_request: 'AA==', public_key: 'AAAA' });
  assert.deepEqual(res, { status: 500, json: { status: 'attestation failure', message: 'There was an internal processing error' } });
  const bad64 = await attest(h.core.url, h.ds.operatorKey, { attestation_request: '!!!', public_key: pair.spkiB64 });
  assert.equal(bad64.status, 400);
});

test('operators written to the store after start are picked up by refresh', async () => {
  const records = (await readJsonStore(h.core.blobs, 'operators')).records;
  await writeJsonStore(h.core.blobs, 'operators', records, Date.now());
  assert.equal((await attest(h.core.url, h.ds.operatorKey, trustedRequest)).status, 200);
});
