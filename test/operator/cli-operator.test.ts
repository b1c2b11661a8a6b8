import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Uid2Client } from '../../src/client/uid2-client.ts';
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

test('uid2 init --out DIR then uid2 operator --data DIR alone: the data set\'s operator-config.json is the config', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-init-operator-'));
  try {
    const init = run(['init', '--out', dir, '--buckets', '64']);
    assert.equal(await init.exited, 0, init.errors());
    assert.match(init.output(), new RegExp(`run an operator on it: uid2 operator --data ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(its config is operator-config\\.json there\\)`));
    const help = run(['operator', '--help']);
    assert.equal(await help.exited, 0);
    assert.match(help.output().replace(/\s+/g, ' '), /default: DIR\/operator-config\.json when --data DIR holds one/);
    const credentials = JSON.parse(await readFile(join(dir, 'demo-client.json'), 'utf8')) as { api_key: string; secret: string };
    const p = run(['operator', '--data', dir, '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1', '--workers', '1']);
    try {
      await waitFor(() => /listening/.test(p.output()) || p.child.exitCode !== null, 100_000);
      const port = /http:\/\/127\.0\.0\.1:(\d+)/.exec(p.output())?.[1];
      assert.ok(port, p.output() + p.errors());
      const client = new Uid2Client({ baseUrl: `http://127.0.0.1:${port}`, apiKey: credentials.api_key, secretKey: credentials.secret });
      assert.equal((await client.generateToken({ email: 'user@example.com' })).status, 'success');
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }
    // Without that file and without --config, the error names the flag.
    await rm(join(dir, 'operator-config.json'));
    const bare = run(['operator', '--data', dir, '--port', '0', '--metrics-port', '0', '--workers', '1']);
    assert.equal(await bare.exited, 1);
    assert.match(bare.errors(), /no \w+_metadata_path configured \(give the operator config with --config FILE\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
