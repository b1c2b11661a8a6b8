/**
 * Spec-conformance audit (issue 3): client SDK version metrics (operator-spec.md §13.2
 * `uid2_client_sdk_versions_total`, §14 "Client version": header or `?client=`, metrics only,
 * Android/ios/tvos mark in-app traffic). Tests `src/operator/http/client-version.ts`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureOperator, callV2 } from './support/operator-fixture.ts';
import { MAX_TRACKED_VERSIONS } from '../../src/operator/http/client-version.ts';

async function sdkLines(op: Awaited<ReturnType<typeof fixtureOperator>>): Promise<string[]> {
  const text = await op.deps.metrics.registry.metrics();
  return text.split('\n').filter((l) => l.startsWith('uid2_client_sdk_versions_total{'));
}

test('§14 the X-UID2-Client-Version header is counted per API contact; answers are unchanged', async () => {
  const op = await fixtureOperator();
  try {
    const plain = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' } });
    const tagged = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' }, headers: { 'x-uid2-client-version': 'java-uid2-client-4.9.0' } });
    assert.equal(tagged.res.statusCode, plain.res.statusCode);
    assert.equal(tagged.json.status, 'success');
    await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com' }, headers: { 'x-uid2-client-version': 'java-uid2-client-4.9.0' } });
    const lines = await sdkLines(op);
    assert.equal(lines.length, 1, 'requests without a version are not counted');
    assert.match(lines[0], /api_contact="Special"/);
    assert.match(lines[0], /client_version="java-uid2-client-4\.9\.0"/);
    assert.match(lines[0], /platform_type="Other"/);
    assert.match(lines[0], / 2$/);
  } finally {
    await op.close();
  }
});

test('§14 ?client= is used when the header is absent; the header wins when both are sent', async () => {
  const op = await fixtureOperator();
  try {
    const refresh = await op.send({ method: 'POST', url: '/v2/token/refresh?client=uid2-sdk-3.2.0', payload: 'x', headers: { origin: 'https://pub.example' } });
    assert.equal(refresh.statusCode, 400, 'still routed: the query string does not change the route');
    await op.send({ method: 'POST', url: '/v2/token/refresh?client=from-query', payload: 'x', headers: { 'x-uid2-client-version': 'from-header' } });
    const lines = await sdkLines(op);
    assert.ok(lines.some((l) => /api_contact="unknown",client_version="uid2-sdk-3\.2\.0",platform_type="HasOriginHeader"/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => l.includes('client_version="from-header"')));
    assert.ok(!lines.some((l) => l.includes('from-query')));
  } finally {
    await op.close();
  }
});

test('§14 Android, ios and tvos versions mark in-app traffic', async () => {
  const op = await fixtureOperator();
  try {
    for (const version of ['Android-1.6.0', 'ios-1.4.0', 'tvos-1.4.0']) {
      await op.send({ method: 'POST', url: '/v2/token/refresh', payload: 'x', headers: { 'x-uid2-client-version': version, origin: 'https://pub.example' } });
    }
    const lines = await sdkLines(op);
    assert.equal(lines.filter((l) => l.includes('platform_type="InApp"')).length, 3);
  } finally {
    await op.close();
  }
});

test('label values stay bounded: odd strings and versions beyond the cap count as "other"', async () => {
  const op = await fixtureOperator();
  try {
    await op.send({ method: 'POST', url: '/v2/token/refresh', payload: 'x', headers: { 'x-uid2-client-version': 'has spaces and "quotes"' } });
    for (let i = 0; i <= MAX_TRACKED_VERSIONS; i++) {
      await op.send({ method: 'POST', url: `/v2/token/refresh?client=v-${i}`, payload: 'x' });
    }
    const lines = await sdkLines(op);
    assert.equal(lines.length, MAX_TRACKED_VERSIONS + 1, 'the tracked versions plus "other"');
    assert.match(lines.find((l) => l.includes('client_version="other"')) ?? '', / 2$/);
  } finally {
    await op.close();
  }
});

test('metrics hook does not disturb the 401 of a bad key', async () => {
  const op = await fixtureOperator();
  try {
    const res = await op.send({ method: 'POST', url: '/v2/token/generate?client=x', payload: 'abc', headers: { authorization: 'Bearer nope', 'x-uid2-client-version': 'uid2-client-python-2.1.0' } });
    assert.equal(res.statusCode, 401);
    assert.equal(res.body, '{"status":"unauthorized"}');
    assert.ok((await sdkLines(op)).some((l) => l.includes('api_contact="unknown"')));
  } finally {
    await op.close();
  }
});
