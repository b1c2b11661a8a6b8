/**
 * A real Prometheus (Debian package `prometheus`) scraping a running `uid2 stack` (Core, OptOut,
 * two attested operators as child processes) every second, with deploy/observability/alerts.yml
 * loaded: after traffic through every route family, every query of every dashboard panel
 * returns at least one series through Prometheus's HTTP API. Skips when `prometheus` is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/cli/stack/free-port.ts';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { DEMO_CLIENT_FILE } from '../../src/core/dataset/index.ts';
import { repoRoot } from '../support/shared.ts';
import { clientOf, eventually, uniqueEmail } from './stack-support.ts';

const prometheusAvailable = spawnSync('prometheus', ['--version']).error === undefined;
const observability = join(repoRoot, 'deploy', 'observability');

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

interface QueryAnswer {
  status: string;
  data: { result: unknown[] };
  error?: string;
}

async function startPrometheus(dir: string, targets: string[]): Promise<{ url: string; process: ChildProcess; output: () => string }> {
  const port = await freePort();
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${join(observability, 'alerts.yml')}`,
      'scrape_configs:',
      '  - job_name: uid2-operator',
      '    static_configs:',
      `      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]`,
      '',
    ].join('\n'),
  );
  let output = '';
  const child = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  await eventually('Prometheus ready', async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok, 60_000).catch((err: Error) => {
    child.kill();
    throw new Error(`${err.message}\n${output}`);
  });
  return { url, process: child, output: () => output };
}

async function query(url: string, expr: string): Promise<QueryAnswer> {
  return (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as QueryAnswer;
}

/** Requests through every route family the dashboard shows, errors included. */
async function sendTraffic(stack: RunningStack): Promise<void> {
  const demo = JSON.parse(await readFile(join(stack.dataDir, DEMO_CLIENT_FILE), 'utf8')) as { cstg: { subscription_id: string; public_key: string } };
  for (let i = 0; i < stack.operators.length; i++) {
    const client = clientOf(stack, i);
    const email = uniqueEmail('prometheus');
    const generated = await client.generateToken({ email });
    assert.equal(generated.status, 'success');
    if (generated.status !== 'success') return;
    const identity = generated.identity;
    await client.refreshToken(identity.refresh_token, identity.refresh_response_key);
    await client.validateToken(identity.advertising_token, { email });
    await client.mapIdentities({ email: [email, 'not an email'] });
    await client.optoutStatus(['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
    await client.clientGenerate({ identity: { email }, subscriptionId: demo.cstg.subscription_id, serverPublicKey: demo.cstg.public_key, origin: 'http://localhost' });
    await client.keysSharing();
    // A refused key (401) and a malformed envelope (400).
    await fetch(`${stack.summary.operators[i]}/v2/token/generate`, { method: 'POST', headers: { Authorization: 'Bearer nope' }, body: 'x' });
    await fetch(`${stack.summary.operators[i]}/v2/token/generate`, { method: 'POST', headers: { Authorization: `Bearer ${stack.summary.api_key}` }, body: 'x' });
  }
}

test('a real Prometheus scraping a running stack: every dashboard panel returns series', { timeout: 300_000 }, async (t) => {
  if (!prometheusAvailable) return t.skip('prometheus is not installed (Debian package prometheus)');
  const dir = await mkdtemp(join(tmpdir(), 'uid2-prometheus-'));
  let stack: RunningStack | undefined;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;
  t.after(async () => {
    prometheus?.process.kill();
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  stack = await startStack({ dataDir: join(dir, 'stack'), operators: 2, refreshMs: 1000, optoutRefreshSeconds: 1, buckets: 1024 });
  prometheus = await startPrometheus(dir, stack.operatorMetrics.map((u) => new URL(u).host));
  const { url } = prometheus;

  await eventually('both operators scraped', async () => (await query(url, 'up{job="uid2-operator"} == 1')).data.result.length === 2, 60_000);
  await sendTraffic(stack);
  // The traffic is in, and rates have at least two samples after it.
  await eventually('traffic scraped', async () => (await query(url, 'sum(increase(vertx_http_server_requests_total{path="/v2/token/client-generate"}[1m]))')).data.result.length > 0, 60_000);
  await new Promise((resolve) => setTimeout(resolve, 3000));

  const rules = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: unknown[] }[] } };
  const group = rules.data.groups.find((g) => g.name === 'uid2-operator');
  assert.ok(group && group.rules.length >= 10, 'alerts.yml loads into a real Prometheus');

  const dashboard = JSON.parse(await readFile(join(observability, 'grafana-dashboard.json'), 'utf8')) as { panels: Panel[] };
  const empty: string[] = [];
  for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
    for (const target of panel.targets ?? []) {
      const answer = await eventually(`${panel.title}: ${target.expr}`, async () => {
        const a = await query(url, target.expr);
        assert.equal(a.status, 'success', `${target.expr}: ${a.error}`);
        return a.data.result.length > 0 ? a : undefined;
      }, 20_000).catch(() => undefined);
      if (!answer) empty.push(`${panel.title}: ${target.expr}`);
    }
  }
  assert.deepEqual(empty, [], 'every dashboard query returns at least one series');
});
