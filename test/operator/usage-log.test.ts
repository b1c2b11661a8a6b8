/**
 * API usage logs (src/operator/metrics/usage-log.ts, rejected-origin-log.ts): one JSON line per
 * endpoint and site per interval, CSTG per domain or app name, version counts per site, upstream's
 * bounds, the hourly rejected-origin summary, and no identity, token, key or secret in any line
 * the operator writes while serving.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { decryptCstgResponse, encryptCstgRequest } from '../../src/protocol/cstg.ts';
import { UsageLog, splitPath } from '../../src/operator/metrics/usage-log.ts';
import { RejectedOriginLog, REJECTED_ORIGIN_LOG_INTERVAL_MS } from '../../src/operator/metrics/rejected-origin-log.ts';
import { callV2, CLIENTS, fixtureOperator, FIXTURE_NOW } from './support/operator-fixture.ts';

const SERVER_PUBLIC_KEY = 'UID2-X-L-MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtXJdTSZAYHvoRDWiehMHoWF1BNPuqLs5w2ZHiAZ1IJc7O4/z0ojPTB0V+KYX/wxQK0hxx6kxCvHj335eI/ZQsQ==';
const EMAIL = 'usage.person@example.com';
const EMAIL_HASH = 'lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=';

/** A logger whose JSON lines land in `lines`. */
function capture(): { logger: pino.Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      raw.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  return {
    logger,
    raw,
    get lines() {
      return raw.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
  };
}

async function flushed(log: ReturnType<typeof capture>): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  assert.ok(log.raw.length >= 0);
}

test('one line per endpoint and site with domains, then version counts per site', async () => {
  const log = capture();
  const op = await fixtureOperator({ logging_limit_max_version_buckets_per_site: 2 }, { logger: log.logger });
  try {
    const referer = { referer: 'https://pub.example/page?email=someone%40example.com' };
    for (const version of ['java-4.1.0', 'java-4.1.0', 'python-2.0.0', 'go-1.0.0']) {
      const { res } = await callV2(op, { path: '/v2/token/generate', payload: { email: EMAIL }, headers: { ...referer, 'x-uid2-client-version': version } });
      assert.equal(res.statusCode, 200);
    }
    await op.send({ method: 'POST', url: '/v2/token/generate', headers: { authorization: 'Bearer not-a-key' }, payload: 'x' });
    await callV2(op, { path: '/v3/identity/map', payload: { email: [EMAIL] } });
    op.usageLog.flush();
    await flushed(log);
    const usage = log.lines.filter((l) => l.msg === 'api usage');
    const generate999 = usage.find((l) => l.endpoint === 'token/generate' && l.siteId === 999);
    assert.deepEqual(generate999, { ...generate999, apiVersion: 'v2', domainList: [{ domain: 'pub.example', count: 4, apiContact: 'Special' }] });
    const unauthenticated = usage.find((l) => l.endpoint === 'token/generate' && l.siteId === null);
    assert.deepEqual(unauthenticated?.domainList, [{ domain: 'unknown', count: 1, apiContact: null }], 'a refused key counts without a site, as upstream');
    assert.ok(usage.some((l) => l.endpoint === 'identity/map' && l.apiVersion === 'v3' && l.siteId === 999));
    const versions = log.lines.find((l) => l.msg === 'version log' && l.siteId === 999);
    assert.deepEqual(versions?.versions, { 'java-4.1.0': 2, 'python-2.0.0': 1, NotRecorded: 1 }, 'at most 2 versions per site, then NotRecorded');

    // An idle interval writes nothing; the next busy one starts from zero.
    const before = log.raw.length;
    op.usageLog.flush();
    assert.equal(log.raw.length, before);
  } finally {
    await op.close();
  }
});

test('CSTG is counted per origin domain and per app name, under the keypair site', async () => {
  const log = capture();
  const op = await fixtureOperator({}, { logger: log.logger });
  try {
    const send = async (origin: string | undefined, appName?: string) => {
      const { body, sharedSecret } = encryptCstgRequest({ serverPublicKey: SERVER_PUBLIC_KEY, plaintext: JSON.stringify({ email_hash: EMAIL_HASH }), timestampMs: FIXTURE_NOW, subscriptionId: '4WvryDGbR5', appName });
      const res = await op.send({ method: 'POST', url: '/v2/token/client-generate', payload: JSON.stringify(body), headers: { 'content-type': 'text/plain', ...(origin ? { origin } : {}) } });
      return { res, sharedSecret };
    };
    const ok = await send('https://www.uidapi.com');
    assert.equal(JSON.parse(decryptCstgResponse(ok.sharedSecret, ok.res.body)).status, 'success');
    await send('https://www.uidapi.com');
    await send(undefined, 'COM.123.game.app.ANDROID');
    assert.equal((await send('https://not-allowed.example')).res.statusCode, 403);
    op.usageLog.flush();
    await flushed(log);
    const line = log.lines.find((l) => l.msg === 'api usage' && l.endpoint === 'token/client-generate');
    assert.equal(line?.siteId, 123);
    assert.deepEqual(line?.domainList, [
      { domain: 'www.uidapi.com', count: 2, apiContact: null },
      { domain: 'COM.123.game.app.ANDROID', count: 1, apiContact: null },
      { domain: 'not-allowed.example', count: 1, apiContact: null },
    ]);
    const text = await op.deps.metrics.registry.metrics();
    assert.match(text, /uid2_token_response_status_count_total\{site_id="123",[^}]*token_endpoint="ClientSideTokenGenerateV2",token_response_status="InvalidHttpOrigin"[^}]*platform_type="HasOriginHeader"/);
    assert.match(text, /token_endpoint="ClientSideTokenGenerateV2",token_response_status="Success",advertising_token_version="V4",cstg="true",platform_type="InApp"/);
  } finally {
    await op.close();
  }
});

test('bounds: paths that are not endpoints, their shape, and domains per line', async () => {
  const log = capture();
  const registry = new Registry();
  const usage = new UsageLog({ logger: log.logger, registry, intervalMs: 60_000, maxInvalidPaths: 2, maxVersionBucketsPerSite: 50 });
  const record = (path: string, apiContact: string | undefined, domain = 'unknown') => usage.record(path, 1, apiContact, domain, undefined);
  record('/not/an/endpoint', undefined);
  record('/a', 'C');
  record('/b/user@example.com', 'C');
  record('/c', 'C');
  record('/v2/token/generate', 'C');
  for (let i = 0; i <= 1000; i++) record('/v2/token/refresh', 'C', `d${i}.example`);
  usage.flush();
  await flushed(log);
  const paths = log.lines.filter((l) => l.msg === 'api usage').map((l) => `${l.apiVersion}:${l.endpoint}`);
  assert.deepEqual(paths.sort(), ['v0:a', 'v0:invalid', 'v2:token/generate', 'v2:token/refresh'], 'unauthenticated and over-limit paths dropped; an identity-shaped path is not logged');
  assert.equal(log.lines.filter((l) => typeof l.msg === 'string' && (l.msg as string).startsWith('max invalid paths reached')).length, 1);
  const refresh = log.lines.find((l) => l.endpoint === 'token/refresh');
  assert.equal((refresh?.domainList as unknown[]).length, 1000);
  assert.match(await registry.metrics(), /^uid2_api_usage_domain_missed_total 1$/m);
  assert.deepEqual(splitPath('/ops/healthcheck'), { apiVersion: 'v0', endpoint: 'ops/healthcheck' });
  assert.deepEqual(splitPath('/v3/identity/map'), { apiVersion: 'v3', endpoint: 'identity/map' });
});

test('rejected CSTG origins and app names: one summary an hour, values only in an origin or app-id shape', () => {
  const log = capture();
  let now = 0;
  const rejected = new RejectedOriginLog({ logger: log.logger, now: () => now, siteName: (id) => (id === 123 ? 'Publisher' : 'unknown') });
  rejected.rejected(123, 'https://wrong.example');
  rejected.rejected(123, 'com.wrong.app');
  now += REJECTED_ORIGIN_LOG_INTERVAL_MS - 1;
  rejected.rejected(123, 'someone@example.com');
  assert.equal(log.raw.length, 0, 'nothing before an hour has passed');
  now += 1;
  rejected.rejected(7, undefined);
  assert.equal(log.raw.length, 1);
  assert.equal(log.lines[0]!.msg, 'InvalidHttpOriginAndAppName: site Publisher (123): https://wrong.example, com.wrong.app, <unrecognised> | site unknown (7): null');
});

test('the operator logs rejected origins only when client_side_token_generate_log_invalid_http_origins is on', async () => {
  for (const enabled of [false, true]) {
    const op = await fixtureOperator({ client_side_token_generate_log_invalid_http_origins: enabled }, { logger: pino({ level: 'silent' }) });
    try {
      assert.equal(op.deps.rejectedOrigins !== undefined, enabled);
    } finally {
      await op.close();
    }
  }
});

test('no identity, token, key or secret reaches any line the operator writes while serving', async () => {
  const log = capture();
  const op = await fixtureOperator({}, { logger: log.logger });
  const secrets: string[] = [EMAIL, EMAIL_HASH, CLIENTS.special.key, CLIENTS.special.secret, 'someone%40example.com', 'someone@example.com'];
  try {
    const referer = { referer: 'https://pub.example/?email=someone%40example.com', 'x-uid2-client-version': 'someone@example.com' };
    const generated = await callV2(op, { path: '/v2/token/generate', payload: { email: EMAIL }, headers: referer });
    const body = generated.json.body as Record<string, string>;
    secrets.push(body.advertising_token, body.refresh_token, body.refresh_response_key);
    const refreshed = await op.send({ method: 'POST', url: '/v2/token/refresh', payload: body.refresh_token, headers: referer });
    assert.equal(refreshed.statusCode, 200);
    await callV2(op, { path: '/v2/token/validate', payload: { email: EMAIL, token: body.advertising_token }, headers: referer });
    await callV2(op, { path: '/v2/token/validate', payload: { email: EMAIL, token: 'garbage-token-value' }, headers: referer });
    await callV2(op, { path: '/v3/identity/map', payload: { email: [EMAIL, 'not-an-email'], phone: ['+12345678901'] }, headers: referer });
    await callV2(op, { path: '/v2/identity/map', payload: { email_hash: [EMAIL_HASH] }, headers: referer });
    await op.send({ method: 'POST', url: `/v2/token/generate/${EMAIL}`, headers: { authorization: `Bearer ${CLIENTS.special.key}`, ...referer } });
    await op.send({ method: 'POST', url: '/v2/token/generate', headers: { authorization: `Bearer ${CLIENTS.special.key}x` }, payload: 'x' });
    secrets.push('+12345678901', `${CLIENTS.special.key}x`, 'garbage-token-value');
    op.usageLog.flush();
    await flushed(log);
    assert.ok(log.lines.some((l) => l.msg === 'api usage'), 'usage lines were written');
    for (const line of log.raw) {
      for (const secret of secrets) assert.ok(!line.includes(secret), `a log line contains ${secret.slice(0, 12)}…: ${line}`);
    }
  } finally {
    await op.close();
  }
});
