/**
 * Production runs compiled JavaScript with plain node and the production dependencies only
 * (issue 13). The test lays out what the images hold (bin/, dist/, package.json, the native addon
 * and a node_modules with only the production closure of the lock file: no tsx, no esbuild, no
 * typescript), then runs the CLI and `npm start` from it: the demo operator turns healthy and
 * answers, and no process of its tree is tsx or esbuild.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { repoRoot } from '../support/shared.ts';

const DEV_ONLY = ['tsx', 'esbuild', '@esbuild', 'typescript'];

/** The top-level packages of the production closure (`npm ls --omit=dev`), as paths under node_modules. */
function productionPackages(): string[] {
  const ls = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  assert.equal(ls.status, 0, ls.stderr);
  const top = join(repoRoot, 'node_modules') + sep;
  const names = ls.stdout
    .split('\n')
    .filter((p) => p.startsWith(top))
    .map((p) => relative(top, p).split(sep))
    .filter((parts) => (parts[0].startsWith('@') ? parts.length === 2 : parts.length === 1))
    .map((parts) => parts.join('/'));
  return [...new Set(names)].sort();
}

/** A directory laid out as the production image: copies of bin/ and dist/, production modules only. */
function productionTree(): string {
  assert.ok(existsSync(join(repoRoot, 'dist', 'cli', 'main.js')), 'dist/ is built (npm run build; npm test and npm ci build it)');
  const dir = mkdtempSync(join(tmpdir(), 'uid2-prod-'));
  cpSync(join(repoRoot, 'bin'), join(dir, 'bin'), { recursive: true });
  cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(repoRoot, 'native'), join(dir, 'native'));
  for (const name of productionPackages()) {
    const target = join(dir, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules', name), target);
  }
  return dir;
}

/** Process ids of every descendant of `pid` (from /proc). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const found: number[] = [];
  for (let frontier = [pid]; frontier.length > 0; ) {
    const next = [...parentOf].filter(([, ppid]) => frontier.includes(ppid)).map(([child]) => child);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

test('the production layout holds no tsx, esbuild or typescript, and none is reachable from dist/', () => {
  const packages = productionPackages();
  assert.ok(packages.includes('fastify') && packages.includes('pino'), 'the closure is the production one');
  for (const dev of DEV_ONLY) assert.ok(!packages.some((p) => p === dev || p.startsWith(`${dev}/`)), `${dev} is a production dependency`);
  const dir = productionTree();
  try {
    const fromDist = createRequire(join(dir, 'dist', 'cli', 'main.js'));
    for (const dev of ['tsx', 'esbuild', 'typescript']) assert.throws(() => fromDist.resolve(dev), /Cannot find module/, `${dev} resolves from dist/`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm start from the production layout serves a healthy demo operator with plain node; the built CLI calls it', { timeout: 180_000 }, async () => {
  const dir = productionTree();
  const npm = spawn('npm', ['start', '--', '--port', '0', '--metrics-port', '0', '--dir', join(dir, '.data', 'demo')], {
    cwd: dir,
    detached: true, // its own process group, so the whole tree stops together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  npm.stdout!.on('data', (c) => (out += c));
  npm.stderr!.on('data', (c) => (err += c));
  try {
    const help = spawnSync(process.execPath, [join(dir, 'bin', 'uid2.mjs'), '--help'], { cwd: dir, encoding: 'utf8', timeout: 30_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /operator \[options\]/);

    const until = Date.now() + 150_000;
    let port: string | undefined;
    while (port === undefined) {
      port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      assert.ok(npm.exitCode === null, `npm start exited: ${out}${err}`);
      assert.ok(Date.now() < until, `not listening: ${out}${err}`);
      if (port === undefined) await new Promise((r) => setTimeout(r, 200));
    }
    const health = await fetch(`http://127.0.0.1:${port}/ops/healthcheck`);
    assert.equal(health.status, 200);

    const client = JSON.parse(readFileSync(join(dir, '.data', 'demo', 'demo-client.json'), 'utf8')) as { api_key: string; secret: string };
    const gen = spawnSync(process.execPath, [join(dir, 'bin', 'uid2.mjs'), 'token', 'generate', '--email', 'user@example.com'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, UID2_BASE_URL: `http://127.0.0.1:${port}`, UID2_API_KEY: client.api_key, UID2_SECRET_KEY: client.secret },
    });
    assert.equal(gen.status, 0, gen.stderr);
    assert.match(gen.stdout, /advertising_token/);

    const tree = descendants(npm.pid!).map(commandLine).filter((c) => c !== '');
    assert.ok(tree.some((c) => /\bnode\b.*bin\/uid2\.mjs start/.test(c)), `the operator is node bin/uid2.mjs: ${tree.join(' | ')}`);
    for (const c of [commandLine(npm.pid!), ...tree]) assert.doesNotMatch(c, /tsx|esbuild/, `process ${c}`);
  } finally {
    try {
      process.kill(-npm.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await new Promise((r) => (npm.exitCode !== null || npm.signalCode !== null ? r(undefined) : npm.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
});
