/**
 * Spec-conformance audit (issue 3): token routes (operator-spec.md §4.1-§4.3, §4.9, §7, §10.1,
 * EUID behaviours of §14). Refresh tokens with chosen fields are built with the fixture's refresh
 * key 102, exactly as the operator would, to reach the decision branches of §4.3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TCString, TCModel, GVL } from '@iabtcf/core';
import { fixtureOperator, callV2, CLIENTS, FIXTURE_NOW, type TestOperator } from './support/operator-fixture.ts';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { firstLevelHash } from '../../src/protocol/first-level-hash.ts';
import { IdentityScope, IdentityType } from '../../src/protocol/identity-kinds.ts';
import { parseIdentity } from '../../src/protocol/identity-input.ts';
import { createRefreshResponseKey, decodeRefreshEnvelope, decryptRefreshResponse, encodeRefreshEnvelope } from '../../src/protocol/refresh-envelope.ts';
import { decodeRefreshToken, encodeRefreshTokenV3, type RefreshTokenFields } from '../../src/protocol/refresh-token.ts';
import { SERVICE_OPERATOR } from '../../src/protocol/token-fields.ts';

const op = await fixtureOperator();
test.after(() => op.close());

const lookupOf = (o: TestOperator) => (id: number) => o.deps.stores.keysetKeys.current().byId.get(id);
const keyLookup = lookupOf(op);
const DEPRECATED_BEFORE = Date.UTC(2021, 2, 8, 17, 0, 0);

function flhOf(o: TestOperator, email: string): Buffer {
  return firstLevelHash(parseIdentity('email', email)!.hash, o.deps.stores.salts.current().firstLevelSalt);
}

/** A v3 refresh token as the operator would issue it, with `overrides` applied. */
function refreshTokenFor(o: TestOperator, overrides: Partial<RefreshTokenFields> = {}): string {
  const now = o.clock.now();
  const fields: RefreshTokenFields = {
    scope: IdentityScope.UID2,
    type: IdentityType.Email,
    expiresMs: now + 3600_000,
    createdMs: now - 60_000,
    operator: SERVICE_OPERATOR,
    siteId: 123,
    publisherId: 0,
    clientKeyId: 0,
    privacyBits: 3,
    establishedMs: now - 86_400_000,
    firstLevelHash: flhOf(o, 'user@example.com'),
    ...overrides,
  };
  return encodeRefreshTokenV3(fields, lookupOf(o)(102)!);
}

/** The 388-char envelope around a refresh token, plus its response key. */
function envelopeFor(o: TestOperator, refreshToken: string, scope: IdentityScope = IdentityScope.UID2) {
  const responseKey = createRefreshResponseKey();
  return { text: encodeRefreshEnvelope({ scope, key: lookupOf(o)(102)!, refreshToken, responseKey }), responseKey };
}

function refresh(o: TestOperator, body: string, headers: Record<string, string> = {}) {
  return o.send({ method: 'POST', url: '/v2/token/refresh', payload: body, headers: { 'content-type': 'text/plain', ...headers } });
}

const authed = { authorization: `Bearer ${CLIENTS.special.key}` };

// §4.1: publisher identity = (key site, 0, 0), privacy bits 1, established = request time,
// operator identity (0, Service, 0, 0) in both tokens (§7).
test('§4.1 generate: token fields of a server-side identity', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
  const ad = decodeAdvertisingToken(json.body.advertising_token, keyLookup);
  assert.equal(ad.version, 4);
  if (ad.version !== 4) return;
  assert.deepEqual([ad.siteId, ad.publisherId, ad.clientKeyId, ad.privacyBits], [999, 0, 0, 1]);
  assert.deepEqual(ad.operator, { siteId: 0, type: 1, version: 0, keyId: 0 });
  assert.equal(ad.establishedMs, FIXTURE_NOW);
  assert.equal(ad.createdMs, FIXTURE_NOW);
  assert.equal(ad.refreshedMs, FIXTURE_NOW);
  assert.ok(json.body.advertising_token.startsWith('A4'), 'UID2 email v4 header');
  const env = decodeRefreshEnvelope(json.body.refresh_token, keyLookup);
  assert.equal(env.scopeByte, 0x00);
  const inner = decodeRefreshToken(env.refreshToken, keyLookup);
  assert.equal(inner.version, 3);
  assert.ok(env.refreshToken.startsWith('A3'), 'UID2 email v3 refresh token');
  assert.deepEqual([inner.siteId, inner.publisherId, inner.clientKeyId, inner.privacyBits, inner.establishedMs], [999, 0, 0, 1, FIXTURE_NOW]);
  assert.equal(inner.expiresMs, FIXTURE_NOW + 86_400_000);
  assert.deepEqual(inner.firstLevelHash, flhOf(op, 'user@example.com'));
  assert.equal(typeof json.body.identity_expires, 'number');
  assert.equal(Buffer.from(json.body.refresh_response_key, 'base64').length, 32);
});

// §4.1: optout_check/policy are ignored today; opt-out is always respected. Extra fields ignored.
test('§4.1 generate: optout_check 0 / policy 0 do not bypass opt-out; unknown fields are ignored', async () => {
  for (const extra of [{ optout_check: 0 }, { policy: 0 }, { optout_check: 1 }]) {
    const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'optout@example.com', ...extra } });
    assert.deepEqual(json, { status: 'optout' });
  }
  const { res, json } = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com', whatever: [1, 2], token: 'x' } });
  assert.equal(res.statusCode, 200);
  assert.equal(json.status, 'success');
});

// §5 hash inputs through generate: 64-char hex (either case) and 44-char base64 are the same identity.
test('§5 generate: email_hash as base64 or hex gives the same first-level hash', async () => {
  const hash = parseIdentity('email', 'user@example.com')!.hash;
  for (const email_hash of [hash.toString('base64'), hash.toString('hex'), hash.toString('hex').toUpperCase()]) {
    const { json } = await callV2(op, { path: '/v2/token/generate', payload: { email_hash } });
    assert.equal(json.status, 'success', email_hash);
    const env = decodeRefreshEnvelope(json.body.refresh_token, keyLookup);
    assert.deepEqual(decodeRefreshToken(env.refreshToken, keyLookup).firstLevelHash, flhOf(op, 'user@example.com'));
  }
});

// §4 / §11 enable_phone_support=false: phone fields are ignored, and the message names only email.
test('§4 enable_phone_support=false: phone fields are ignored on generate, validate and logout', async () => {
  const noPhone = await fixtureOperator({ enable_phone_support: false });
  try {
    const only = 'Required Parameter Missing: exactly one of email or email_hash must be specified';
    for (const path of ['/v2/token/generate', '/v2/token/validate']) {
      const { res } = await callV2(noPhone, { path, payload: { phone: '+12345678901', token: 'x' } });
      assert.equal(res.statusCode, 400, path);
      assert.deepEqual(res.json(), { status: 'client_error', message: only });
    }
    const { res, json } = await callV2(noPhone, { path: '/v2/token/generate', payload: { email: 'user@example.com', phone: '+12345678901' } });
    assert.equal(res.statusCode, 200, 'a phone beside the email is ignored, not "more than one"');
    assert.equal(json.status, 'success');
    const logout = await callV2(noPhone, { path: '/v2/token/logout', payload: { phone: '+12345678901' } });
    assert.equal(logout.res.statusCode, 400);
    assert.equal(logout.res.json().status, 'invalid_token');
  } finally {
    await noPhone.close();
  }
});

// §4.3 step 6: a refresh keeps publisher identity, privacy bits and established time.
test('§4.3 refresh keeps publisher site, privacy bits (3) and established; new times and keys', async () => {
  op.clock.set(FIXTURE_NOW);
  const established = FIXTURE_NOW - 5 * 86_400_000;
  const { text, responseKey } = envelopeFor(op, refreshTokenFor(op, { siteId: 123, privacyBits: 3, establishedMs: established }));
  const res = await refresh(op, text);
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/plain');
  const json = JSON.parse(decryptRefreshResponse(responseKey, res.body));
  assert.equal(json.status, 'success');
  const ad = decodeAdvertisingToken(json.body.advertising_token, keyLookup);
  assert.equal(ad.version, 4);
  if (ad.version !== 4) return;
  assert.deepEqual([ad.siteId, ad.privacyBits, ad.establishedMs, ad.refreshedMs], [123, 3, established, FIXTURE_NOW]);
  assert.equal(ad.siteKeyId, 104, 'site 123 has its own default keyset 501');
  const inner = decodeRefreshToken(decodeRefreshEnvelope(json.body.refresh_token, keyLookup).refreshToken, keyLookup);
  assert.deepEqual([inner.siteId, inner.privacyBits, inner.establishedMs], [123, 3, established]);
  assert.notEqual(json.body.refresh_response_key, responseKey.toString('base64'), 'a new refresh_response_key');
  assert.equal(json.body.identity_expires, FIXTURE_NOW + 3600_000);
});

// §4.3: the legacy (non-388-char) form is answered in plain JSON.
test('§4.3 legacy bare refresh token: plain application/json success and optout', async () => {
  const ok = await refresh(op, refreshTokenFor(op));
  assert.equal(ok.statusCode, 200);
  assert.match(String(ok.headers['content-type']), /^application\/json/);
  assert.equal(ok.json().status, 'success');
  assert.equal(ok.json().body.refresh_token.length, 388);
  const out = await refresh(op, refreshTokenFor(op, { firstLevelHash: flhOf(op, 'optout@example.com') }));
  assert.equal(out.statusCode, 200);
  assert.deepEqual(out.json(), { status: 'optout' });
});

// §4.3 step 3: established < 2021-03-08T17:00Z is Deprecated, reported as optout (before expiry).
test('§4.3 deprecated tokens (established before 2021-03-08T17:00Z) refresh to optout', async () => {
  const old = refreshTokenFor(op, { establishedMs: DEPRECATED_BEFORE - 1 });
  const { text, responseKey } = envelopeFor(op, old);
  const res = await refresh(op, text);
  assert.equal(res.statusCode, 200);
  assert.deepEqual(JSON.parse(decryptRefreshResponse(responseKey, res.body)), { status: 'optout' });
  const legacy = await refresh(op, old, authed);
  assert.deepEqual(legacy.json(), { status: 'optout' });
  // Deprecated wins over expired (step 3 before step 4).
  const oldAndExpired = refreshTokenFor(op, { establishedMs: DEPRECATED_BEFORE - 1, expiresMs: op.clock.now() - 1 });
  assert.deepEqual((await refresh(op, oldAndExpired, authed)).json(), { status: 'optout' });
  // Exactly at the cut-off is not deprecated.
  const edge = await refresh(op, refreshTokenFor(op, { establishedMs: DEPRECATED_BEFORE }));
  assert.equal(edge.json().status, 'success');
});

// §4.3 step 2: identity scope ≠ operator scope → Invalid.
test('§4.3 a refresh token of the other identity scope is invalid', async () => {
  const euidToken = refreshTokenFor(op, { scope: IdentityScope.EUID });
  const a = await refresh(op, euidToken, authed);
  assert.equal(a.statusCode, 400);
  assert.deepEqual(a.json(), { status: 'invalid_token', message: 'Invalid Token presented' });
  const u = await refresh(op, envelopeFor(op, euidToken, IdentityScope.EUID).text);
  assert.equal(u.statusCode, 400);
  assert.deepEqual(u.json(), { status: 'error', message: 'Error refreshing token' });
});

// §4.3: expired → expired_token (authenticated) / error (unauthenticated); expiry is checked before opt-out.
test('§4.3 expired tokens: expired_token when authenticated, generic error otherwise, even when opted out', async () => {
  const expired = refreshTokenFor(op, { expiresMs: op.clock.now() - 1, firstLevelHash: flhOf(op, 'optout@example.com') });
  const a = await refresh(op, expired, authed);
  assert.equal(a.statusCode, 400);
  assert.deepEqual(a.json(), { status: 'expired_token', message: 'Expired Token presented' });
  const u = await refresh(op, envelopeFor(op, expired).text);
  assert.equal(u.statusCode, 400);
  assert.match(String(u.headers['content-type']), /^application\/json/);
  assert.deepEqual(u.json(), { status: 'error', message: 'Error refreshing token' });
  // "expiresAt < now": a token expiring exactly now still refreshes.
  const edge = await refresh(op, refreshTokenFor(op, { expiresMs: op.clock.now() }));
  assert.equal(edge.json().status, 'success');
});

// §10.1: refresh-optout test identities generate fine but refresh to optout (email and phone).
test('§10.1 refresh-optout@example.com and +00000000002: generate succeeds, refresh is optout', async () => {
  for (const payload of [{ email: 'refresh-optout@example.com' }, { phone: '+00000000002' }]) {
    const { json } = await callV2(op, { path: '/v2/token/generate', payload });
    assert.equal(json.status, 'success', JSON.stringify(payload));
    const res = await refresh(op, json.body.refresh_token);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(JSON.parse(decryptRefreshResponse(Buffer.from(json.body.refresh_response_key, 'base64'), res.body)), { status: 'optout' });
  }
  const map = await callV2(op, { path: '/v2/identity/map', payload: { email: ['refresh-optout@example.com'] } });
  assert.equal(map.json.body.mapped.length, 1, 'not opted out at map');
});

// §4.9: invalid or missing identity → 400 invalid_token "Invalid Token presented".
test('§4.9 logout: missing or invalid identity is invalid_token', async () => {
  for (const payload of [{}, { email: 'not-an-email' }, { email: 'a@b.c', phone: '+12345678901' }]) {
    const { res } = await callV2(op, { path: '/v2/token/logout', client: { key: 'UID2-C-L-127-aHVydH.JlZnVzZWRmYXN0ZW5lbXliYWdpZGVudGl0eWU=', secret: 'c3VpdG9wcG9zaXRlaW1hZ2Vsb29rc2ltcGxlc3RmaXI=' }, payload });
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.deepEqual(res.json(), { status: 'invalid_token', message: 'Invalid Token presented' });
  }
});

// §4.2: validate compares the identity's current raw UID with the token's, for phone too.
test('§4.2 validate: phone identities and a token of another identity', async () => {
  const { json } = await callV2(op, { path: '/v2/token/generate', payload: { phone: '+12345678901' } });
  const token = json.body.advertising_token;
  assert.ok(token.startsWith('B4'), 'UID2 phone v4 header');
  let r = await callV2(op, { path: '/v2/token/validate', payload: { token, phone: '+12345678901' } });
  assert.deepEqual(r.json, { status: 'success', body: true });
  r = await callV2(op, { path: '/v2/token/validate', payload: { token, phone: '+12345678902' } });
  assert.deepEqual(r.json, { status: 'success', body: false });
});

function tcString(o: { consents?: number[]; li?: number[]; vendorConsent?: boolean; vendorLi?: boolean; geo?: boolean }): string {
  const purposes = Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [i, { id: i, name: `p${i}`, description: '', descriptionLegal: '' }]));
  const gvl = new GVL({
    gvlSpecificationVersion: 2, vendorListVersion: 1, tcfPolicyVersion: 2, lastUpdated: '2024-01-01T00:00:00Z',
    purposes, specialPurposes: {}, features: {}, specialFeatures: {}, stacks: {},
    vendors: { 21: { id: 21, name: 'v', purposes: [1, 3, 4], legIntPurposes: [2, 7, 10], flexiblePurposes: [], specialPurposes: [], features: [], specialFeatures: [], policyUrl: 'x' } },
  } as never);
  const model = new TCModel(gvl);
  model.cmpId = 10;
  model.cmpVersion = 1;
  (o.consents ?? []).forEach((p) => model.purposeConsents.set(p));
  (o.li ?? []).forEach((p) => model.purposeLegitimateInterests.set(p));
  if (o.vendorConsent) model.vendorConsents.set(21);
  if (o.vendorLi) model.vendorLegitimateInterests.set(21);
  if (o.geo ?? true) model.specialFeatureOptins.set(1);
  return TCString.encode(model);
}

// §4.1 EUID: union of consent purposes (vendor consent) and LI purposes (vendor LI) ⊇ {1,2,3,4,7,10},
// and special feature 1 (precise geolocation) opted in (upstream `validateUserConsent`).
test('§4.1 EUID TCF: consent and legitimate-interest purposes combine; each needs its vendor signal', async () => {
  const euid = await fixtureOperator({ identity_scope: 'euid' });
  try {
    const gen = (tcf: string) => callV2(euid, { path: '/v2/token/generate', payload: { email: 'user@example.com', tcf_consent_string: tcf } });
    const split = { consents: [1, 3, 4], li: [2, 7, 10] };
    assert.equal((await gen(tcString({ ...split, vendorConsent: true, vendorLi: true }))).json.status, 'success');
    assert.deepEqual((await gen(tcString({ ...split, vendorConsent: true }))).json, { status: 'insufficient_user_consent' }, 'LI purposes need vendor LI');
    assert.deepEqual((await gen(tcString({ ...split, vendorLi: true }))).json, { status: 'insufficient_user_consent' }, 'consent purposes need vendor consent');
    const okRes = await gen(tcString({ consents: [1, 2, 3, 4, 7, 10], vendorConsent: true }));
    assert.equal(okRes.res.statusCode, 200);
    assert.deepEqual((await gen(tcString({ consents: [1, 2, 3, 4, 7, 10], vendorConsent: true, geo: false }))).json, { status: 'insufficient_user_consent' }, 'precise geolocation not opted in');
    // A consent key sent as null is "sent and empty": invalid, not skipped (spec §4.1, upstream containsKey).
    const nullConsent = await callV2(euid, { path: '/v2/token/generate', payload: { email: 'user@example.com', tcf_consent_string: null } });
    assert.equal(nullConsent.res.statusCode, 400);
    assert.deepEqual(nullConsent.res.json(), { status: 'client_error', message: 'User consent is invalid' });
  } finally {
    await euid.close();
  }
});

// §7 / §14 EUID: E4/F4 advertising tokens, E3/F3 refresh tokens, envelope scope byte 0x10; refresh works.
test('§14 EUID: token prefixes, refresh envelope scope byte, and a full refresh round trip', async () => {
  const euid = await fixtureOperator({ identity_scope: 'euid' });
  try {
    const lookup = lookupOf(euid);
    for (const [payload, adPrefix, refreshPrefix] of [[{ email: 'user@example.com' }, 'E4', 'E3'], [{ phone: '+12345678901' }, 'F4', 'F3']] as const) {
      const { json } = await callV2(euid, { path: '/v2/token/generate', payload });
      assert.ok(json.body.advertising_token.startsWith(adPrefix), adPrefix);
      const env = decodeRefreshEnvelope(json.body.refresh_token, lookup);
      assert.equal(env.scopeByte, 0x10);
      assert.ok(env.refreshToken.startsWith(refreshPrefix), refreshPrefix);
      const res = await refresh(euid, json.body.refresh_token);
      assert.equal(res.statusCode, 200);
      const refreshed = JSON.parse(decryptRefreshResponse(Buffer.from(json.body.refresh_response_key, 'base64'), res.body));
      assert.equal(refreshed.status, 'success');
      assert.ok(refreshed.body.advertising_token.startsWith(adPrefix));
    }
    // A UID2 refresh token presented to an EUID operator is invalid (§4.3 step 2).
    const uid2Token = refreshTokenFor(euid, { scope: IdentityScope.UID2 });
    assert.deepEqual((await refresh(euid, uid2Token, authed)).json(), { status: 'invalid_token', message: 'Invalid Token presented' });
  } finally {
    await euid.close();
  }
});
