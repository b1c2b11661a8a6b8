import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TCString, TCModel, GVL } from '@iabtcf/core';
import fc from 'fast-check';
import { fixtureOperator, callV2, CLIENTS } from './support/operator-fixture.ts';
import { effectiveRuntime } from '../../src/operator/stores/runtime-config-store.ts';
import { loadOperatorConfig } from '../../src/operator/config/config-layers.ts';
import { ERROR_FAMILIES } from '../../src/operator/errors.ts';

function tcString(purposes: number[], vendor = 21): string {
  const gvl = new GVL({
    gvlSpecificationVersion: 2, vendorListVersion: 1, tcfPolicyVersion: 2, lastUpdated: '2024-01-01T00:00:00Z',
    purposes: Object.fromEntries([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => [i, { id: i, name: `p${i}`, description: '', descriptionLegal: '' }])),
    specialPurposes: {}, features: {}, specialFeatures: {}, stacks: {},
    vendors: { [vendor]: { id: vendor, name: 'v', purposes: [1, 2, 3, 4, 7, 10], legIntPurposes: [], flexiblePurposes: [], specialPurposes: [], features: [], specialFeatures: [], policyUrl: 'x' } },
  } as never);
  const model = new TCModel(gvl);
  model.cmpId = 10;
  model.cmpVersion = 1;
  purposes.forEach((p) => model.purposeConsents.set(p));
  model.vendorConsents.set(vendor);
  // Upstream also requires special feature 1 (precise geolocation) opted in.
  model.specialFeatureOptins.set(1);
  return TCString.encode(model);
}

test('EUID generate: TCF consent sufficient, insufficient, invalid; UID2 ignores it', async () => {
  const euid = await fixtureOperator({ identity_scope: 'euid' });
  try {
    const gen = (tcf: unknown) => callV2(euid, { path: '/v2/token/generate', payload: { email: 'user@example.com', tcf_consent_string: tcf } });
    let r = await gen(tcString([1, 2, 3, 4, 7, 10]));
    assert.equal(r.json.status, 'success');
    assert.ok(r.json.body.advertising_token.startsWith('E4'), 'EUID email token header');
    r = await gen(tcString([1, 2, 3, 4, 7]));
    assert.deepEqual(r.json, { status: 'insufficient_user_consent' });
    r = await gen(tcString([1, 2, 3, 4, 7, 10], 99));
    assert.deepEqual(r.json, { status: 'insufficient_user_consent' }, 'vendor 21 has no consent');
    for (const bad of ['', 'garbage!!', 42]) {
      r = await gen(bad);
      assert.equal(r.res.statusCode, 400);
      assert.deepEqual(r.res.json(), { status: 'client_error', message: 'User consent is invalid' });
    }
    r = await callV2(euid, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
    assert.equal(r.json.status, 'success', 'no consent string: no check');
  } finally {
    await euid.close();
  }
  const uid2 = await fixtureOperator();
  try {
    const r = await callV2(uid2, { path: '/v2/token/generate', payload: { email: 'user@example.com', tcf_consent_string: 'garbage' } });
    assert.equal(r.json.status, 'success');
  } finally {
    await uid2.close();
  }
});

test('error responses log one JSON line with status, site and path, never key, token or identity', async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(...chunk.toString().split('\n').filter(Boolean)); cb(); } });
  const op = await fixtureOperator({}, { logger: pino({ level: 'info' }, sink) });
  try {
    await callV2(op, { path: '/v2/token/generate', payload: { email: 'secret-person@example.com', phone: '+12345678901' } });
    await op.send({ method: 'POST', url: '/v2/token/refresh?x=1', payload: 'garbage-token-value', headers: { authorization: `Bearer ${CLIENTS.special.key}` } });
    await op.send({ method: 'POST', url: '/v2/token/generate', payload: 'abc', headers: { authorization: 'Bearer UID2-C-L-999-wrongkey' } });
    const entries = lines.map((l) => JSON.parse(l));
    const errors = entries.filter((e) => e.msg === 'Response to http request');
    assert.equal(errors.length, 3);
    assert.deepEqual(
      errors.map((e) => [e.statusCode, e.errorStatus, e.siteId, e.path]),
      [[400, 'client_error', 999, '/v2/token/generate'], [400, 'invalid_token', 999, '/v2/token/refresh'], [401, 'unauthorized', undefined, '/v2/token/generate']],
    );
    const all = lines.join('\n');
    for (const secret of ['secret-person', '+12345678901', 'garbage-token-value', CLIENTS.special.key, 'wrongkey', CLIENTS.special.secret]) {
      assert.ok(!all.includes(secret), `log leaks ${secret}`);
    }
  } finally {
    await op.close();
  }
});

test('malformed input of every kind on the token routes is a 4xx, never 5xx', async () => {
  const op = await fixtureOperator();
  try {
    const paths = ['/v2/token/generate', '/v2/token/validate', '/v2/token/refresh', '/v2/token/client-generate'];
    const json = fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string(), fc.base64String());
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.oneof(json, fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b).toString('base64'))), fc.boolean(), async (path, body, asV2) => {
        const res = asV2
          ? (await callV2(op, { path, payload: body })).res
          : await op.send({ method: 'POST', url: path, payload: body, headers: { authorization: `Bearer ${CLIENTS.special.key}`, origin: 'https://uidapi.com' } });
        assert.ok(res.statusCode < 500 || res.statusCode === 500 && path === '/v2/token/logout', `${path} ${res.statusCode} ${res.body}`);
        assert.ok(!/\bat .*\.ts:\d+/.test(res.body), 'no stack trace');
      }),
      { numRuns: 150 },
    );
    // JSON payloads of the wrong shape inside valid envelopes
    for (const payload of ['[]', '"str"', '123', 'null', '{"email":{}}', '{"token":[],"email":"a@b.c"}', '{"email_hash":"' + 'A'.repeat(44) + '"}']) {
      for (const path of ['/v2/token/generate', '/v2/token/validate', '/v2/token/logout']) {
        const { res } = await callV2(op, { path, payload });
        assert.ok(res.statusCode < 500 || path === '/v2/token/logout', `${path} ${payload} -> ${res.statusCode}`);
      }
    }
  } finally {
    await op.close();
  }
});

test('runtime_config overrides static lifetimes; static config used without it', () => {
  const config = loadOperatorConfig({ flags: { identity_token_expires_after_seconds: '100', refresh_token_expires_after_seconds: '200', refresh_identity_token_after_seconds: '50' } });
  assert.equal(effectiveRuntime(config, undefined).lifetimes.identityExpiresAfterSeconds, 100);
  const runtime = { version: 1, entryCount: 1, identityEnvironment: 'prod' as const, lifetimes: { ...config.staticLifetimes!, identityExpiresAfterSeconds: 150 } };
  assert.equal(effectiveRuntime(config, runtime).lifetimes.identityExpiresAfterSeconds, 150);
  assert.equal(effectiveRuntime(config, runtime).identityEnvironment, 'prod');
  assert.throws(() => effectiveRuntime(loadOperatorConfig({}), undefined), /token lifetimes are not configured/);
});

test('error catalogue: every family has a spec §3.3 status and an HTTP error code', () => {
  const statuses = new Set(['success', 'unauthorized', 'client_error', 'optout', 'invalid_token', 'expired_token', 'error', 'invalid_client', 'unknown', 'insufficient_user_consent', 'invalid_http_origin', 'invalid_app_name']);
  for (const Family of ERROR_FAMILIES) {
    const e = new Family('m');
    assert.ok(statuses.has(e.status), e.status);
    assert.ok(e.httpCode >= 400 && e.httpCode < 600);
    assert.deepEqual(e.toBody(), { status: e.status, message: 'm' });
  }
});
