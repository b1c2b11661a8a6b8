/**
 * deploy/observability: the alert rules pass `promtool check rules` and their unit tests
 * (`promtool test rules`, one firing and one non-firing case per alert), each alert has a runbook
 * section in docs/operations.md, every dashboard panel has queries over documented series, and the
 * Kustomize base is scrapeable. Without promtool (Debian package `prometheus`) the promtool tests skip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot } from '../support/shared.ts';

const dir = join(repoRoot, 'deploy', 'observability');
const operationsDoc = readFileSync(join(repoRoot, 'docs', 'operations.md'), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  annotations: { runbook_url: string; summary: string };
}
interface AlertTest {
  name: string;
  alert_rule_test: { alertname: string; exp_alerts: unknown[] }[];
}

const rules = (parse(readFileSync(join(dir, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const ruleTests = (parse(readFileSync(join(dir, 'alerts.test.yml'), 'utf8')) as { tests: AlertTest[] }).tests;
const dashboard = JSON.parse(readFileSync(join(dir, 'grafana-dashboard.json'), 'utf8')) as {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
};

const promtoolAvailable = spawnSync('promtool', ['--version']).error === undefined;

function promtool(args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Series names a PromQL expression reads. */
function seriesOf(expr: string): string[] {
  // Label values such as application="uid2-operator" are not series: every series name has an underscore.
  return [...new Set(expr.match(/\b(?:vertx|uid2|process|nodejs|app)(?:_[a-z0-9]+)+\b/g) ?? [])];
}

test('promtool check rules accepts alerts.yml', (t) => {
  if (!promtoolAvailable) return t.skip('promtool is not installed (Debian package prometheus)');
  const r = promtool(['check', 'rules', 'alerts.yml']);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('promtool test rules: every alert fires when it should and not otherwise', (t) => {
  if (!promtoolAvailable) return t.skip('promtool is not installed (Debian package prometheus)');
  const r = promtool(['test', 'rules', 'alerts.test.yml']);
  assert.equal(r.status, 0, r.output);
  assert.match(r.output, /SUCCESS/);
});

test('each alert has a firing and a non-firing unit test case, and a runbook section', () => {
  assert.ok(rules.length >= 10);
  for (const rule of rules) {
    const cases = ruleTests.flatMap((x) => x.alert_rule_test).filter((c) => c.alertname === rule.alert);
    assert.ok(cases.some((c) => c.exp_alerts.length > 0), `${rule.alert}: a case where it fires`);
    assert.ok(cases.some((c) => c.exp_alerts.length === 0), `${rule.alert}: a case where it does not`);
    const anchor = rule.alert.toLowerCase();
    assert.equal(rule.annotations.runbook_url, `docs/operations.md#${anchor}`, `${rule.alert} runbook link`);
    const section = new RegExp(`^### ${rule.alert}\\n+(.+)`, 'm').exec(operationsDoc);
    assert.ok(section && section[1]!.length > 40, `docs/operations.md has a runbook section "### ${rule.alert}"`);
  }
});

test('every dashboard panel has queries, and every series the dashboard and alerts read is documented', () => {
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  assert.ok(panels.length >= 12);
  const exprs = [...panels.flatMap((p) => (p.targets ?? []).map((x) => x.expr)), ...rules.map((r) => r.expr)];
  for (const p of panels) assert.ok((p.targets ?? []).length > 0 && p.targets!.every((x) => x.expr.trim().length > 0), `panel ${p.title} has queries`);
  for (const name of new Set(exprs.flatMap(seriesOf))) {
    // A histogram's or summary's `_bucket`/`_sum`/`_count` lines are documented under its name.
    const family = name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(operationsDoc.includes(`\`${name}\``) || operationsDoc.includes(`\`${family}\``), `docs/operations.md documents ${name}`);
  }
  // The dashboard covers what the issue lists.
  const all = exprs.join('\n');
  for (const series of ['vertx_http_server_requests_total', 'uid2_token_response_status_count_total', 'uid2_operator_identity_map_inputs_sum', 'uid2_config_store_last_success_timestamp_seconds', 'uid2_second_level_salt_last_updated_max', 'uid2_config_store_refresh_failures_total', 'uid2_attestation_expires_at_seconds', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds']) {
    assert.ok(all.includes(series), `the dashboard or alerts read ${series}`);
  }
});

test('the Kustomize base is scraped: pod annotations and the metrics Service; the ServiceMonitor selects it', () => {
  const base = join(repoRoot, 'deploy', 'kustomize', 'base');
  const deployment = parse(readFileSync(join(base, 'deployment.yaml'), 'utf8'));
  const annotations = deployment.spec.template.metadata.annotations;
  assert.deepEqual(
    { scrape: annotations['prometheus.io/scrape'], port: annotations['prometheus.io/port'], path: annotations['prometheus.io/path'] },
    { scrape: 'true', port: '9080', path: '/metrics' },
  );
  const service = parse(readFileSync(join(base, 'metrics-service.yaml'), 'utf8'));
  const [monitor] = parseAllDocuments(readFileSync(join(dir, 'servicemonitor.yaml'), 'utf8')).map((d) => d.toJS());
  assert.equal(monitor.kind, 'ServiceMonitor');
  assert.deepEqual(monitor.spec.selector.matchLabels, service.metadata.labels);
  assert.ok(service.spec.ports.some((p: { name: string }) => p.name === monitor.spec.endpoints[0].port));
  assert.equal(monitor.spec.endpoints[0].relabelings[0].replacement, 'uid2-operator', 'the job name UID2OperatorDown selects');
});
