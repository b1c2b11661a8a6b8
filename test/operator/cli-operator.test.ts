import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fixturesDir, localConfigPath, repoRoot } from '../support/shared.ts';

const BIN = join(repoRoot, 'bin', 'uid2.mjs');

function run(args: string[]): { child: ChildProcess; output: () => string; errors: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, errors: () => err, exited };
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('uid2 operator: one line when listening, serves the fixtures, SIGTERM exits cleanly', { timeout: 90_000 }, async () => {
  const p = run(['operator', '--data', fixturesDir, '--config', localConfigPath, '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1']);
  try {
    await waitFor(() => /listening/.test(p.output()) || p.child.exitCode !== null, 80_000);
    const m = /http:\/\/127\.0\.0\.1:(\d+) \(metrics on :(\d+)\/metrics\)/.exec(p.output());
    assert.ok(m, p.output() + p.errors());
    const health = await fetch(`http://127.0.0.1:${m[1]}/ops/healthcheck`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'OK');
    // enable_v2_encryption=false in local-config: plain JSON both ways
    const gen = await fetch(`http://127.0.0.1:${m[1]}/v2/token/generate`, {
      method: 'POST',
      headers: { authorization: 'Bearer UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=', 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'user@example.com' }),
    });
    assert.equal(gen.status, 200);
    assert.equal(((await gen.json()) as { status: string }).status, 'success');
    const metrics = await (await fetch(`http://127.0.0.1:${m[2]}/metrics`)).text();
    assert.match(metrics, /uid2_http_requests_total\{method="POST",path="\/v2\/token\/generate",code="200"/);
    assert.match(metrics, /uid2_config_store_version\{store="salt"/);
    assert.match(metrics, /uid2_component_health\{component="http-server",application="uid2-operator"\} 1/);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0);
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
});

test('uid2 operator: bad config is one clear line and exit 1', { timeout: 90_000 }, async () => {
  const p = run(['operator', '--data', fixturesDir, '--config', join(fixturesDir, 'missing.json')]);
  try {
    assert.equal(await p.exited, 1);
    assert.match(p.errors(), /^uid2: cannot read config file .*missing\.json: ENOENT\n$/);
  } finally {
    if (p.child.exitCode === null) p.child.kill('SIGKILL');
  }
});
