/**
 * Scrape-time views under upstream's names (src/operator/metrics/vertx-http-view.ts,
 * buffered-summary.ts, scrape-window.ts): the Vert.x HTTP series are computed from the two series
 * the request path already updates, quantiles and `_max` cover a recent window, and summaries
 * export Micrometer's `_count`/`_sum`/`_max`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { BufferedCounter } from '../../src/operator/metrics/buffered-counter.ts';
import { BufferedHistogram } from '../../src/operator/metrics/buffered-histogram.ts';
import { BufferedSummary } from '../../src/operator/metrics/buffered-summary.ts';
import { quantileOf, WINDOW_STEP_MS } from '../../src/operator/metrics/scrape-window.ts';
import { registerVertxHttpView, upstreamPath } from '../../src/operator/metrics/vertx-http-view.ts';
import { parseExposition } from './support/prometheus-text.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

function view(now: () => number) {
  const registry = new Registry();
  registry.setDefaultLabels({ application: 'uid2-operator' });
  const requests = new BufferedCounter({ name: 'r_total', help: 'r', labelNames: ['method', 'path', 'code'], registers: [registry] });
  const duration = new BufferedHistogram({ name: 'd_seconds', help: 'd', labelNames: ['method', 'path', 'code'], buckets: BUCKETS, registers: [registry] });
  registerVertxHttpView(registry, requests, duration, now);
  const observe = (path: string, code: string, seconds: number) => {
    requests.series(['POST', path, code]).inc();
    duration.series(['POST', path, code]).observe(seconds);
  };
  return { registry, observe };
}

test('upstream path label: endpoints keep their path, anything else is /unknown', () => {
  assert.equal(upstreamPath('/v2/token/generate'), '/v2/token/generate');
  assert.equal(upstreamPath('/v3/identity/map'), '/v3/identity/map');
  assert.equal(upstreamPath('unknown'), '/unknown');
  assert.equal(upstreamPath('/static/*'), '/unknown');
});

test('vertx_http_server_requests_total counts per code, method and path; unknown routes merge', async () => {
  const v = view(() => 0);
  for (let i = 0; i < 3; i++) v.observe('/v2/token/generate', '200', 0.002);
  v.observe('unknown', '204', 0.001);
  v.observe('/static/*', '204', 0.001);
  const families = parseExposition(await v.registry.metrics());
  const requests = families.get('vertx_http_server_requests_total')!;
  assert.equal(requests.type, 'counter');
  const find = (path: string, code: string) => requests.samples.find((s) => s.labels.path === path && s.labels.code === code);
  assert.deepEqual(find('/v2/token/generate', '200')?.labels, { code: '200', method: 'POST', path: '/v2/token/generate', application: 'uid2-operator' });
  assert.equal(find('/v2/token/generate', '200')?.value, 3);
  assert.equal(find('/unknown', '204')?.value, 2, 'two route patterns, one upstream series');
  const summary = families.get('vertx_http_server_response_time_seconds')!;
  assert.equal(summary.type, 'summary');
  assert.equal(summary.samples.filter((s) => s.name.endsWith('_count') && s.labels.path === '/unknown').length, 1);
});

test('response time quantiles and max cover the recent window, not the whole life', async () => {
  let now = 0;
  const v = view(() => now);
  for (let i = 0; i < 100; i++) v.observe('/v2/token/generate', '200', i < 99 ? 0.002 : 2);
  const scrape = async () => parseExposition(await v.registry.metrics()).get('vertx_http_server_response_time_seconds')!.samples;
  const max = async () => parseExposition(await v.registry.metrics()).get('vertx_http_server_response_time_seconds_max')!.samples[0]!.value;
  let samples = await scrape();
  const q = (quantile: string) => samples.find((s) => s.labels.quantile === quantile)!.value;
  assert.ok(q('0.9') > 0.001 && q('0.9') <= 0.0025, `p90 ${q('0.9')} in the 2.5 ms bucket`);
  assert.ok(q('0.99') <= 0.0025, 'the 99th of 100 values is still 2 ms');
  assert.equal(await max(), 2);
  assert.equal(samples.find((s) => s.name.endsWith('_count'))!.value, 100);

  // Two steps later, with only fast requests since: the slow one has left the window.
  now += WINDOW_STEP_MS;
  await scrape();
  for (let i = 0; i < 10; i++) v.observe('/v2/token/generate', '200', 0.02);
  now += WINDOW_STEP_MS;
  samples = await scrape();
  assert.ok(q('0.99') > 0.01 && q('0.99') <= 0.025, `p99 ${q('0.99')} from the recent 20 ms requests`);
  assert.equal(await max(), 0.02, 'the 2 s request is no longer the max');
  assert.equal(samples.find((s) => s.name.endsWith('_count'))!.value, 110, 'count and sum stay cumulative');
});

test('quantileOf interpolates inside the bucket and reports max above the last bound', () => {
  const bounds = Float64Array.from([1, 2, 4]);
  assert.equal(quantileOf(Float64Array.from([0, 0, 0, 0]), bounds, 0.5, 0), 0, 'an empty window reports 0');
  assert.equal(quantileOf(Float64Array.from([0, 10, 0, 0]), bounds, 0.5, 1.8), 1.5);
  assert.equal(quantileOf(Float64Array.from([0, 10, 0, 0]), bounds, 0.9, 1.8), 1.8, 'never above the observed max');
  assert.equal(quantileOf(Float64Array.from([5, 0, 0, 5]), bounds, 0.99, 9), 9);
});

test('a summary exports _count, _sum and a windowed _max gauge, as Micrometer does', async () => {
  let now = 0;
  const registry = new Registry();
  const summary = new BufferedSummary({ name: 'inputs', help: 'h', labelNames: ['api_contact'], registers: [registry], now: () => now });
  summary.series(['A']).observe(10);
  summary.series(['A']).observe(3);
  let families = parseExposition(await registry.metrics());
  assert.equal(families.get('inputs')!.type, 'summary');
  assert.deepEqual(
    families.get('inputs')!.samples.map((s) => [s.name, s.value]),
    [
      ['inputs_count', 2],
      ['inputs_sum', 13],
    ],
  );
  assert.equal(families.get('inputs_max')!.type, 'gauge');
  assert.equal(families.get('inputs_max')!.samples[0]!.value, 10);
  now += 2 * WINDOW_STEP_MS;
  await registry.metrics();
  now += WINDOW_STEP_MS;
  families = parseExposition(await registry.metrics());
  assert.equal(families.get('inputs_max')!.samples[0]!.value, 0, 'nothing observed in the window');
  assert.equal(families.get('inputs')!.samples[0]!.value, 2);
});

test('state gauges read the stores at scrape time: salts in force, active site keys, app_status', async () => {
  const { fixtureOperator } = await import('./support/operator-fixture.ts');
  const op = await fixtureOperator();
  try {
    const families = parseExposition(await op.deps.metrics.registry.metrics());
    const value = (name: string) => families.get(name)!.samples[0]!.value;
    // The fixture clock is in 2026: the salt file effective 1745907348982 is in force.
    assert.equal(value('uid2_second_level_salt_current_effective'), 1745907348982);
    assert.equal(value('uid2_second_level_salt_last_updated_max'), 1811548800001);
    assert.equal(value('uid2_second_level_salt_last_updated_min'), 1786924800001);
    const sites = families.get('uid2_encryption_key_activates')!.samples.map((s) => s.labels.site_id);
    assert.ok(sites.includes('123') && sites.includes('-1'), `sites with an active key: ${sites.join(',')}`);
    assert.deepEqual(families.get('app_status')!.samples.map((s) => [s.labels.version, s.value]), [[process.env.IMAGE_VERSION ?? 'unknown', 1]]);
  } finally {
    await op.close();
  }
});
