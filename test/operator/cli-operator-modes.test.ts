/**
 * `uid2 operator` start-up modes (spec attestation-azure.md §1.1 step 8): --data is only needed in
 * local mode; attested mode (core_attest_url) takes its stores from Core, as the azure-cc bootstrap
 * and the SGX launcher start it (`uid2 operator --config FILE`; covered end to end by
 * test/e2e/bootstrap-azure-cc.test.ts and test/e2e/operator-azure-sgx.test.ts). Without either, or
 * with an enclave_platform this operator cannot attest on, it refuses to start in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'uid2-operator-modes-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function startWith(config: Record<string, unknown>): { status: number | null; stderr: string } {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ host: '127.0.0.1', port: 0, metrics_port: 0, ...config }));
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'uid2.mjs'), 'operator', '--config', file], {
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stderr: r.stderr };
}

test('neither --data nor core_attest_url: exit 1 with one line saying what to give', { timeout: 70_000 }, () => {
  const r = startWith({});
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'uid2: no stores to serve: give --data DIR (local mode) or set core_attest_url (attested mode, stores from Core)\n');
});

test('an enclave_platform this operator cannot attest on refuses to start', { timeout: 70_000 }, () => {
  const attested = { core_attest_url: 'http://127.0.0.1:9/attest', core_api_token: 'UID2-O-L-1-key' };
  const nitro = startWith({ ...attested, enclave_platform: 'aws-nitro' });
  assert.equal(nitro.status, 1);
  assert.equal(nitro.stderr, 'uid2: enclave_platform "aws-nitro" is not supported by this operator (use an empty value, azure-cc or azure-sgx)\n');
  const unknown = startWith({ ...attested, enclave_platform: 'azure-tdx' });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /^uid2: "enclave_platform" must be empty or one of aws-nitro, gcp-oidc, azure-cc, azure-sgx \(got "azure-tdx"\)\n$/);
  assert.doesNotMatch(nitro.stderr + unknown.stderr, /\n\s+at /);
});
