/** Attestation token mint/decrypt (spec attestation-azure.md §1.4) and the shared header checks (§1.5). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  AttestationTokenCodec,
  attestationExpiryMs,
  EXTRA_LIFETIME_MAX_SECONDS,
  EXTRA_LIFETIME_MIN_SECONDS,
} from '../../src/attestation/attestation-token.ts';
import { signOperatorJwt, verifyOperatorJwt } from '../../src/attestation/operator-jwt.ts';
import { verifyAttestationHeaders } from '../../src/attestation/attestation-headers.ts';

const codecP = AttestationTokenCodec.create('enc-key', 'enc-salt');

test('mint then decrypt returns the key, expiry in seconds and a signed int64 nonce', async () => {
  const codec = await codecP;
  const key = 'UID2-O-L-999-abcdef.' + 'y'.repeat(38);
  const token = codec.mint(key, 1_800_000_123_456);
  assert.match(token, /^[A-Za-z0-9+/]+=*-[A-Za-z0-9+/]{16}-g$/);
  const claims = codec.decrypt(token);
  assert.equal(claims?.operatorKey, key);
  assert.equal(claims?.expiresAtSeconds, 1_800_000_123);
  assert.ok(BigInt(claims!.nonce) >= -(2n ** 63n) && BigInt(claims!.nonce) < 2n ** 63n);
  assert.notEqual(codec.mint(key, 1), codec.mint(key, 1));
});

test('decrypt rejects tampering, other keys and malformed input', async () => {
  const codec = await codecP;
  const other = await AttestationTokenCodec.create('enc-key', 'other-salt');
  const token = codec.mint('k', Date.now());
  assert.equal(other.decrypt(token), undefined);
  const [ct, iv] = token.split('-');
  const flipped = Buffer.from(ct, 'base64');
  flipped[0] ^= 1;
  assert.equal(codec.decrypt(`${flipped.toString('base64')}-${iv}-g`), undefined);
  for (const bad of ['', 'a-b-g', `${ct}-${iv}-x`, `${ct}-${iv}`, `${ct}-${iv}-g-g`, '%%%-%%%-g']) assert.equal(codec.decrypt(bad), undefined, bad);
});

test('expiry is the lifetime plus 300-600 s', () => {
  assert.equal(attestationExpiryMs(1000, 7200, 300), 1000 + 7500_000);
  for (let i = 0; i < 20; i++) {
    const extra = (attestationExpiryMs(0, 7200) - 7200_000) / 1000;
    assert.ok(extra >= EXTRA_LIFETIME_MIN_SECONDS && extra <= EXTRA_LIFETIME_MAX_SECONDS);
  }
});

test('header checks: token skipped for trusted, JWT enforced only when asked', async () => {
  const codec = await codecP;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = 1_800_000_000_000;
  const base = { tokens: codec, jwtKey: publicKey, issuer: 'http://core', audience: 'http://core', enforceJwt: false, now: () => now };
  const caller = { key: 'op-key', keyHash: 'hash', protocol: 'azure-cc' };
  const token = codec.mint('op-key', now + 60_000);
  assert.deepEqual(await verifyAttestationHeaders({}, caller, ['OPERATOR'], base), { ok: false, reason: 'token' });
  assert.deepEqual(await verifyAttestationHeaders({}, { ...caller, protocol: 'trusted' }, ['OPERATOR'], base), { ok: true });
  assert.deepEqual(await verifyAttestationHeaders({ 'attestation-token': token }, caller, ['OPERATOR'], base), { ok: true });
  assert.deepEqual(await verifyAttestationHeaders({ 'attestation-token': token }, caller, ['OPERATOR'], { ...base, now: () => now + 61_000 }), { ok: false, reason: 'token' });

  const strict = { ...base, enforceJwt: true };
  const jwtInput = { keyHash: 'hash', name: 'op', roles: ['OPERATOR'], siteId: 5, enclaveId: 'e', enclaveType: 'azure-cc', operatorVersion: 'v', expiresAtMs: now + 60_000, issuer: 'http://core', audience: 'http://core' };
  const jwt = await signOperatorJwt({ privateKey, kid: 'k' }, jwtInput, now);
  const headers = { 'attestation-token': token, 'attestation-jwt': jwt };
  assert.deepEqual(await verifyAttestationHeaders({ 'attestation-token': token }, caller, ['OPERATOR'], strict), { ok: false, reason: 'jwt' });
  assert.deepEqual(await verifyAttestationHeaders(headers, caller, ['OPERATOR'], strict), { ok: true });
  assert.deepEqual(await verifyAttestationHeaders(headers, { ...caller, keyHash: 'other' }, ['OPERATOR'], strict), { ok: false, reason: 'jwt' });
  assert.deepEqual(await verifyAttestationHeaders(headers, caller, ['OPTOUT_SERVICE'], strict), { ok: false, reason: 'jwt' });
  assert.equal(await verifyOperatorJwt(jwt, publicKey, { issuer: 'http://core', audience: 'http://optout', keyHash: 'hash', requiredRoles: ['OPERATOR'], nowMs: now }), undefined);
  assert.equal(await verifyOperatorJwt(jwt, publicKey, { issuer: 'http://core', audience: 'http://core', keyHash: 'hash', requiredRoles: ['OPERATOR'], nowMs: now + 120_000 }), undefined);
});
