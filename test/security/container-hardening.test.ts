/**
 * Dependency and container hygiene (issue 7 §7): production dependencies pinned and audited, the
 * image runs as a non-root user, and the generic Kubernetes deployment runs with a read-only root
 * filesystem (only emptyDirs are writable) and no capabilities.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { repoRoot } from '../support/shared.ts';

const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');

test('production dependencies are pinned to exact versions and locked', () => {
  const pkg = JSON.parse(read('package.json'));
  const loose = Object.entries(pkg.dependencies as Record<string, string>).filter(([, v]) => !/^\d+\.\d+\.\d+$/.test(v));
  assert.deepEqual(loose, []);
  const lock = JSON.parse(read('package-lock.json'));
  for (const name of Object.keys(pkg.dependencies)) assert.ok(lock.packages[`node_modules/${name}`], `${name} is in the lockfile`);
});

test('npm audit --omit=dev: no high or critical finding', (t) => {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  let report: { metadata?: { vulnerabilities?: Record<string, number> }; error?: unknown } | undefined;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    report = undefined;
  }
  const counts = report?.metadata?.vulnerabilities;
  if (!counts) {
    // The registry reached from here may not serve the audit endpoint (e.g. a mirror answering 405).
    t.skip(`audit endpoint unavailable: ${(run.stderr || run.stdout).split('\n').find((l) => /error|405|ENOTFOUND|ECONN/i.test(l)) ?? 'no report'}`);
    return;
  }
  assert.equal((counts.high ?? 0) + (counts.critical ?? 0), 0, JSON.stringify(counts));
});

test('the azure-cc image runs as a numeric non-root user after its last RUN', () => {
  const lines = read('deploy/azure-cc/Dockerfile').split('\n');
  const lastIndex = (re: RegExp) => lines.reduce((found, l, i) => (re.test(l) ? i : found), -1);
  const userLine = lastIndex(/^USER\s/);
  assert.ok(userLine > lastIndex(/^RUN\s/));
  const user = lines[userLine].split(/\s+/)[1];
  assert.match(user, /^[1-9]\d*(:[1-9]\d*)?$/);
});

test('kustomize base: read-only root filesystem, non-root, no privilege escalation, no capabilities, writable emptyDirs only', () => {
  const deployment = YAML.parse(read('deploy/kustomize/base/deployment.yaml'));
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: { name: string }) => c.name === 'uid2-operator');
  const sc = container.securityContext;
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.equal(sc.runAsNonRoot, true);
  assert.notEqual(sc.runAsUser, 0);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.deepEqual(sc.capabilities?.drop, ['ALL']);
  const mounts = new Map(container.volumeMounts.map((m: { name: string; mountPath: string }) => [m.mountPath, m.name]));
  // The bootstrap writes /tmp/final-config.json (data only: the code runs from read-only dist/).
  for (const path of ['/tmp', '/opt/uid2']) {
    const volume = pod.volumes.find((v: { name: string }) => v.name === mounts.get(path));
    assert.ok(volume?.emptyDir, `${path} is a writable emptyDir`);
  }
});
