/**
 * Buffered hot-path metrics (issue 6; src/operator/metrics/buffered-*.ts, operator-metrics.ts):
 * after the same updates, the registry text and JSON equal what plain prom-client Counter and
 * Histogram produce, across several scrapes, a reset, and cluster aggregation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { BufferedCounter } from '../../src/operator/metrics/buffered-counter.ts';
import { BufferedHistogram } from '../../src/operator/metrics/buffered-histogram.ts';
import { OperatorMetrics } from '../../src/operator/metrics/operator-metrics.ts';
import { HealthRegistry } from '../../src/operator/metrics/health.ts';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const LABELS = ['method', 'path', 'code'] as const;

type Values = [string, string, string];
type Update = { kind: 'inc'; values: Values; by: number | undefined } | { kind: 'observe'; values: Values; value: number };

/** The pair under test: something with `.inc(by?)` / `.observe(v)` per label values. */
interface Sink {
  inc(values: Values, by: number | undefined): void;
  observe(values: Values, value: number): void;
  registry: Registry;
}

function labelsOf(values: Values): Record<(typeof LABELS)[number], string> {
  return { method: values[0], path: values[1], code: values[2] };
}

function registryWithDefaults(): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ application: 'uid2-operator' });
  return registry;
}

function referenceSink(): Sink {
  const registry = registryWithDefaults();
  const counter = new Counter({ name: 'test_requests_total', help: 'Requests "quoted" \\ help', labelNames: LABELS, registers: [registry] });
  const histogram = new Histogram({ name: 'test_duration_seconds', help: 'Latency', labelNames: LABELS, buckets: BUCKETS, registers: [registry] });
  return {
    registry,
    inc: (values, by) => counter.labels(labelsOf(values)).inc(by),
    observe: (values, value) => histogram.labels(labelsOf(values)).observe(value),
  };
}

function bufferedSink(): Sink {
  const registry = registryWithDefaults();
  const counter = new BufferedCounter({ name: 'test_requests_total', help: 'Requests "quoted" \\ help', labelNames: LABELS, registers: [registry] });
  const histogram = new BufferedHistogram({ name: 'test_duration_seconds', help: 'Latency', labelNames: LABELS, buckets: BUCKETS, registers: [registry] });
  return {
    registry,
    inc: (values, by) => counter.series(values).inc(by),
    observe: (values, value) => histogram.series(values).observe(value),
  };
}

function apply(sink: Sink, updates: readonly Update[]): void {
  for (const u of updates) {
    if (u.kind === 'inc') sink.inc(u.values, u.by);
    else sink.observe(u.values, u.value);
  }
}

// Few label values so series repeat across rounds; a few awkward ones to exercise escaping.
const values = fc.tuple(
  fc.constantFrom('GET', 'POST'),
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom('/v2/token/generate', 'a"b\\c\nd', '') }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }),
  fc.constantFrom('200', '400'),
);
const duration = fc.oneof(
  fc.constantFrom(0, -0, ...BUCKETS, 2.5000001, 3, 1e9),
  fc.double({ min: -1, max: 10, noNaN: true }),
);
const increment = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 5 }), fc.double({ min: 0, max: 1e6, noNaN: true }));
const update: fc.Arbitrary<Update> = fc.oneof(
  fc.record({ kind: fc.constant('inc' as const), values, by: increment }),
  fc.record({ kind: fc.constant('observe' as const), values, value: duration }),
);
const round = fc.array(update, { maxLength: 40 });

test('text and JSON equal plain prom-client across scrapes, rounds and a reset', async () => {
  await fc.assert(
    fc.asyncProperty(round, round, round, async (first, second, third) => {
      const reference = referenceSink();
      const buffered = bufferedSink();
      for (const updates of [first, second]) {
        apply(reference, updates);
        apply(buffered, updates);
        // Two scrapes per round: a scrape must not move or double anything.
        assert.equal(await buffered.registry.metrics(), await reference.registry.metrics());
        assert.equal(await buffered.registry.metrics(), await reference.registry.metrics());
        assert.deepEqual(await buffered.registry.getMetricsAsJSON(), await reference.registry.getMetricsAsJSON());
      }
      reference.registry.resetMetrics();
      buffered.registry.resetMetrics();
      assert.equal(await buffered.registry.metrics(), await reference.registry.metrics());
      apply(reference, third);
      apply(buffered, third);
      assert.equal(await buffered.registry.metrics(), await reference.registry.metrics());
    }),
    { numRuns: 150 },
  );
});

test('a fixed sequence gives the expected lines (le="+Inf", _sum, _count, default label)', async () => {
  const buffered = bufferedSink();
  apply(buffered, [
    { kind: 'observe', values: ['POST', '/v2/token/generate', '200'], value: 0 },
    { kind: 'observe', values: ['POST', '/v2/token/generate', '200'], value: 0.001 },
    { kind: 'observe', values: ['POST', '/v2/token/generate', '200'], value: 5 },
    { kind: 'inc', values: ['POST', '/v2/token/generate', '200'], by: undefined },
  ]);
  const lines = (await buffered.registry.metrics()).split('\n');
  const series = 'method="POST",path="/v2/token/generate",code="200"';
  assert.ok(lines.includes(`test_requests_total{${series},application="uid2-operator"} 1`));
  assert.ok(lines.includes(`test_duration_seconds_bucket{le="0.001",application="uid2-operator",${series}} 2`));
  assert.ok(lines.includes(`test_duration_seconds_bucket{le="2.5",application="uid2-operator",${series}} 2`));
  assert.ok(lines.includes(`test_duration_seconds_bucket{le="+Inf",application="uid2-operator",${series}} 3`));
  assert.ok(lines.includes(`test_duration_seconds_sum{application="uid2-operator",${series}} 5.001`));
  assert.ok(lines.includes(`test_duration_seconds_count{application="uid2-operator",${series}} 3`));
});

test('AggregatorRegistry.aggregate over two registries sums like prom-client', async () => {
  await fc.assert(
    fc.asyncProperty(round, round, async (a, b) => {
      const refs = [referenceSink(), referenceSink()];
      const bufs = [bufferedSink(), bufferedSink()];
      [a, b].forEach((updates, i) => {
        apply(refs[i]!, updates);
        apply(bufs[i]!, updates);
      });
      const merged = (sinks: Sink[]) => Promise.all(sinks.map((s) => s.registry.getMetricsAsJSON())).then((json) => AggregatorRegistry.aggregate(json).metrics());
      assert.equal(await merged(bufs), await merged(refs));
    }),
    { numRuns: 60 },
  );
  const bufs = [bufferedSink(), bufferedSink()];
  bufs[0]!.inc(['GET', '/x', '200'], 2);
  bufs[1]!.inc(['GET', '/x', '200'], 3);
  bufs[0]!.observe(['GET', '/x', '200'], 0.002);
  bufs[1]!.observe(['GET', '/x', '200'], 7);
  const json = await Promise.all(bufs.map((s) => s.registry.getMetricsAsJSON()));
  const text = await AggregatorRegistry.aggregate(json).metrics();
  assert.match(text, /^test_requests_total\{.*path="\/x".*\} 5$/m);
  assert.match(text, /^test_duration_seconds_count\{.*path="\/x".*\} 2$/m);
  assert.match(text, /^test_duration_seconds_bucket\{le="0.0025".*path="\/x".*\} 1$/m);
});

test('operator metrics: hot-path children export what prom-client would for the same names', async () => {
  const metrics = new OperatorMetrics(new HealthRegistry());
  const reference = registryWithDefaults();
  const requests = new Counter({ name: 'uid2_http_requests_total', help: 'HTTP requests by method, route and status code', labelNames: LABELS, registers: [reference] });
  const durations = new Histogram({ name: 'uid2_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: LABELS, buckets: BUCKETS, registers: [reference] });
  const tokens = new Counter({
    name: 'uid2_token_validate_total',
    help: 'counter for token validate endpoint results',
    labelNames: ['site_id', 'site_name', 'result'] as const,
    registers: [reference],
  });
  const keysets = new Counter({ name: 'uid2_site_keyset_status', help: 'Site key selection outcome (spec §8.2)', labelNames: ['status'] as const, registers: [reference] });
  for (const [i, seconds] of [0.002, 0, 0.3, 9, 0.002].entries()) {
    const code = i % 2 === 0 ? '200' : '400';
    const series = metrics.httpByRoute.get('POST', '/v2/token/generate', code);
    series.requests.inc();
    series.duration.observe(seconds);
    requests.inc({ method: 'POST', path: '/v2/token/generate', code });
    durations.observe({ method: 'POST', path: '/v2/token/generate', code }, seconds);
    metrics.tokens.validated(999, 'Special', 'match');
    tokens.inc({ site_id: '999', site_name: 'Special', result: 'match' });
    metrics.siteKeysetStatusBy.get('ok').inc();
    keysets.inc({ status: 'ok' });
  }
  for (const name of ['uid2_http_requests_total', 'uid2_http_request_duration_seconds', 'uid2_token_validate_total', 'uid2_site_keyset_status']) {
    assert.equal(await metrics.registry.getSingleMetricAsString(name), await reference.getSingleMetricAsString(name), name);
  }
  assert.match(await metrics.registry.metrics(), /^uid2_http_requests_total\{method="POST",path="\/v2\/token\/generate",code="200",application="uid2-operator"\} 3$/m);
});

test('invalid updates are refused like prom-client refuses them', () => {
  const buffered = bufferedSink();
  assert.throws(() => buffered.inc(['a', 'b', 'c'], -1), TypeError);
  assert.throws(() => buffered.inc(['a', 'b', 'c'], Infinity), TypeError);
  assert.throws(() => buffered.observe(['a', 'b', 'c'], Number.NaN), TypeError);
  assert.throws(() => new BufferedHistogram({ name: 'x_seconds', help: 'x', labelNames: ['le'], buckets: BUCKETS, registers: [] }));
  assert.throws(() => new BufferedCounter({ name: 'test_requests_total', help: 'dup', labelNames: ['a'], registers: [buffered.registry] }), /already been registered/);
});
