/**
 * deploy/sgx scripts: shellcheck-clean, and every part that needs no SGX hardware runs — help,
 * config selection, dry runs, the hardware guard. Also the Occlum.json metadata and the baked-in
 * configs (spec attestation-azure.md §3.4).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';
import { isConfigKey } from '../../src/operator/config/config-keys.ts';

const sgxDir = join(repoRoot, 'deploy/sgx');
const hasSgx = existsSync('/dev/sgx/enclave') || existsSync('/dev/sgx_enclave');
const shellcheck = ['/usr/bin/shellcheck', '/usr/local/bin/shellcheck'].find((p) => existsSync(p));

function sh(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('bash', [join(sgxDir, script), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, BUILD_DIR: '/nonexistent/uid2-sgx-build', NODE_BIN: process.execPath, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('shellcheck passes on deploy/sgx/*.sh', (t) => {
  if (!shellcheck) {
    t.skip('shellcheck is not installed');
    return;
  }
  const scripts = readdirSync(sgxDir).filter((f) => f.endsWith('.sh'));
  assert.ok(scripts.length >= 3, 'build.sh, run.sh, entrypoint.sh');
  const r = spawnSync(shellcheck, scripts, { cwd: sgxDir, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('build.sh --help lists the configs; a missing or unknown config is refused', () => {
  const help = sh('build.sh', ['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /CONFIG is one of: integ prod/);
  assert.equal(sh('build.sh', []).status, 2);
  const unknown = sh('build.sh', ['staging']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /no conf\/staging-config.json; available: integ prod/);
  assert.equal(sh('build.sh', ['../../etc/passwd']).status, 1);
});

test('build.sh --dry-run prints the Occlum build of the chosen config and touches nothing', () => {
  const r = sh('build.sh', ['--dry-run', '--push', 'myacr.azurecr.io/uid2/operator/occlum:1.0', 'prod']);
  assert.equal(r.status, 0, r.stderr);
  const steps = r.stdout;
  assert.match(steps, /conf\/prod-config\.json image\/app\/conf\/config\.json/);
  // The enclave runs compiled JavaScript with the production dependencies only: dist/ is built
  // in a staging copy with the dev dependencies, and only dist/ and bin/ reach the image.
  assert.match(steps, /npm run build --prefix \/nonexistent\/uid2-sgx-build\/app-build/);
  assert.match(steps, /cp -R \S+\/bin \/nonexistent\/uid2-sgx-build\/app-build\/dist \S+\/package\.json \S+\/package-lock\.json \/nonexistent\/uid2-sgx-build\/app-staging\//);
  assert.match(steps, /npm ci --omit=dev --ignore-scripts .*--prefix \/nonexistent\/uid2-sgx-build\/app-staging/);
  assert.ok(!/app-staging[^\n]*\bsrc\b|\bsrc\b[^\n]*app-staging/.test(steps), 'no TypeScript source reaches the enclave');
  assert.match(steps, new RegExp(`cp ${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} image/bin/node`), 'the node binary checked to be 24');
  assert.match(steps, /occlum-gcc .*launcher\.c/);
  assert.match(steps, /occlum-gcc .*sgx_quote\.c/);
  assert.match(steps, /openssl genrsa -3 -out enclave-key\.pem 3072/);
  assert.match(steps, /occlum build --sign-key enclave-key\.pem/);
  assert.match(steps, /occlum package uid2-operator\.tar\.gz/);
  assert.match(steps, /uid2-operator-azure-sgx\.tar\.gz/);
  assert.match(steps, /run\.sh quote/);
  assert.match(steps, /docker push myacr\.azurecr\.io\/uid2\/operator\/occlum:1\.0/);
  assert.ok(!existsSync('/nonexistent/uid2-sgx-build'));
});

test('build.sh refuses a node binary other than Node.js 24 for the enclave', () => {
  const r = sh('build.sh', ['--dry-run', 'prod'], { NODE_BIN: join(repoRoot, 'test/deploy/support/fake-node-20.sh') });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /NODE_BIN is Node.js 20\.20\.2; the enclave needs Node.js 24/);
  assert.equal(r.stdout, '', 'nothing is built');
});

test('build.sh without --dry-run stops with a clear message when there is no SGX device', (t) => {
  if (hasSgx) {
    t.skip('this machine has SGX; not starting a real build');
    return;
  }
  const r = sh('build.sh', ['integ']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no SGX device/);
});

test('run.sh --dry-run: devices, ports, pass-through by name only, and the quote command', () => {
  const start = sh('run.sh', ['--dry-run'], { core_api_token: 'UID2-O-I-1-secretvalue' });
  assert.equal(start.status, 0, start.stderr);
  assert.match(start.stdout, /--device \/dev\/sgx\/enclave --device \/dev\/sgx\/provision/);
  assert.match(start.stdout, /-p 8080:8080 -p 9080:9080/);
  assert.match(start.stdout, /-e core_api_token /);
  assert.doesNotMatch(start.stdout, /secretvalue/);
  assert.doesNotMatch(start.stdout, /optout_api_token/);
  assert.match(start.stdout, /uid2-operator-azure-occlum:dev occlum run \/bin\/launcher$/m);

  const quote = sh('run.sh', ['--dry-run', 'quote'], { IMAGE_NAME: 'myimage:1' });
  assert.match(quote.stdout, /myimage:1 occlum run \/bin\/sgx_quote info$/m);
  assert.equal(sh('run.sh', ['--help']).status, 0);
  assert.match(sh('run.sh', ['--help']).stdout, /MRENCLAVE, MRSIGNER, PRODID, SVN/);
});

test('run.sh without SGX devices refuses clearly', (t) => {
  if (hasSgx) {
    t.skip('this machine has SGX; not starting the image');
    return;
  }
  const r = sh('run.sh', ['quote']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /SGX devices/);
});

test('Occlum.json carries the enclave metadata Core checks and passes only the tokens through', () => {
  const occlum = JSON.parse(readFileSync(join(sgxDir, 'Occlum.json'), 'utf8'));
  assert.deepEqual(occlum.metadata, { product_id: 770, version_number: 2, debuggable: false });
  assert.deepEqual(occlum.env.untrusted, ['core_api_token', 'optout_api_token']);
  assert.deepEqual(occlum.entry_points, ['/bin']);
  assert.equal(occlum.resource_limits.user_space_size, '28000MB');
});

test('the SGX configs select azure-sgx against the matching environment and use known keys', () => {
  for (const env of ['integ', 'prod']) {
    const conf = JSON.parse(readFileSync(join(sgxDir, 'conf', `${env}-config.json`), 'utf8'));
    assert.equal(conf.enclave_platform, 'azure-sgx');
    assert.equal(conf.core_attest_url, `https://core-${env}.uidapi.com/attest`);
    for (const [key, value] of Object.entries(conf)) {
      assert.ok(isConfigKey(key), `${env}: unknown config key ${key}`);
      if (typeof value === 'string' && value.startsWith('https://')) assert.match(value, new RegExp(`-${env}\\.uidapi\\.com/`), key);
    }
  }
});

test('the native helpers compile (syntax) when a C compiler is present', (t) => {
  const gcc = ['/usr/bin/gcc', '/usr/bin/cc'].find((p) => existsSync(p));
  if (!gcc) {
    t.skip('no C compiler');
    return;
  }
  const compiler: string = gcc;
  for (const file of ['sgx_quote.c', 'launcher.c']) {
    const r = spawnSync(compiler, ['-Wall', '-Wextra', '-Werror', '-fsyntax-only', join(sgxDir, 'src', file)], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
  }
});
