/**
 * The SGX image's launcher (deploy/sgx/src/launcher.c) runs `uid2 operator --config
 * /app/conf/config.json` with no data directory (spec attestation-azure.md §3.4). This checks that
 * exact command line against the CLI with each deploy/sgx config: the operator must accept it,
 * pick attested mode and the azure-sgx provider, run the quote helper and only then fail, here
 * because Core (a closed local port) is unreachable. Production configs never set
 * `sgx_quote_helper`; the test supplies the simulated helper through the environment.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSimulatedQuoteHelper, type SimulatedQuoteHelper } from '../../src/cli/stack/sgx-simulated-helper.ts';
import { repoRoot } from '../support/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'uid2-launcher-'));
let helper: SimulatedQuoteHelper;

before(async () => {
  helper = await writeSimulatedQuoteHelper(join(dir, 'sgx'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function launcherArgv(): string[] {
  const source = readFileSync(join(repoRoot, 'deploy/sgx/src/launcher.c'), 'utf8');
  const m = /char \*const argv\[\] = \{([^}]*)\}/.exec(source);
  assert.ok(m, 'launcher.c declares its argv');
  return [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
}

test('launcher argv is node + uid2.mjs + operator --config /app/conf/config.json', () => {
  assert.deepEqual(launcherArgv(), ['/bin/node', '/app/bin/uid2.mjs', 'operator', '--config', '/app/conf/config.json']);
});

for (const env of ['integ', 'prod']) {
  test(`deploy/sgx/conf/${env}-config.json starts an azure-sgx operator in attested mode`, { timeout: 60_000 }, () => {
    assert.equal(JSON.parse(readFileSync(join(repoRoot, `deploy/sgx/conf/${env}-config.json`), 'utf8')).sgx_quote_helper, undefined);
    const [, , ...args] = launcherArgv();
    args[args.indexOf('/app/conf/config.json')] = join(repoRoot, `deploy/sgx/conf/${env}-config.json`);
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin/uid2.mjs'), ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        core_api_token: 'UID2-O-I-1-launchertest',
        core_attest_url: 'http://127.0.0.1:9/attest',
        sgx_quote_helper: helper.helperPath,
        port: '0',
        metrics_port: '0',
        host: '127.0.0.1',
      },
      encoding: 'utf8',
      timeout: 50_000,
    });
    assert.equal(r.status, 1, r.stderr);
    // One process, or the cluster primary reporting its workers (default --workers = CPU count).
    assert.match(r.stderr, /^uid2: (operator worker failed to start: )?Core is unreachable$/m, r.stderr);
    assert.doesNotMatch(r.stderr, /--data|no stores to serve|enclave_platform/);
    assert.equal(`${r.stdout}${r.stderr}`.includes('UID2-O-I-1-launchertest'), false);
  });
}
