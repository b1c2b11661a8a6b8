/** Core's config through the shared layers (src/config): file < environment < flags, typed once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadCoreConfig } from '../../src/core/core-config.ts';
import { DEFAULT_SERVER_LIMITS } from '../../src/http/server-limits.ts';

const dir = mkdtempSync(join(tmpdir(), 'uid2-core-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(content: Record<string, unknown>): string {
  const path = join(dir, `core-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const keys = { att_token_enc_key: 'secret-key', att_token_enc_salt: 'secret-salt' };

test('defaults, the file, the environment and flags, in that order', () => {
  const path = file({ ...keys, store_refresh_ms: 500, enforce_jwt: false, core_public_url: 'http://file' });
  const fromFile = loadCoreConfig(path);
  assert.equal(fromFile.storeRefreshMs, 500);
  assert.equal(fromFile.attTokenLifetimeSeconds, 7200);
  assert.equal(fromFile.corePublicUrl, 'http://file');
  assert.deepEqual(fromFile.serverLimits, DEFAULT_SERVER_LIMITS);
  const layered = loadCoreConfig(path, { env: { enforce_jwt: 'true', core_public_url: 'http://env', http_request_timeout_seconds: '12', PATH: '/bin' }, flags: { core_public_url: 'http://flag' } });
  assert.equal(layered.enforceJwt, true);
  assert.equal(layered.corePublicUrl, 'http://flag');
  assert.equal(layered.serverLimits.requestTimeoutMs, 12_000);
});

test("upstream's enforceJwt spelling counts when enforce_jwt is unset; a relative SGX root is the file's neighbour", () => {
  assert.equal(loadCoreConfig(file({ ...keys, enforceJwt: true })).enforceJwt, true);
  assert.equal(loadCoreConfig(file({ ...keys, enforceJwt: true, enforce_jwt: false })).enforceJwt, false);
  assert.equal(loadCoreConfig(file({ ...keys, sgx_root_ca_pem_path: 'roots.pem' })).sgxRootCaPemPath, join(dir, 'roots.pem'));
});

test('refusals name the key and never echo a secret', () => {
  assert.throws(() => loadCoreConfig(file({ att_token_enc_salt: 's' })), /"att_token_enc_key" must be a non-empty string/);
  assert.throws(() => loadCoreConfig(file({ ...keys, store_refresh_ms: 0 })), /"store_refresh_ms" must be a positive integer/);
  assert.throws(() => loadCoreConfig(file({ ...keys, http_max_connections: -1 })), /http_max_connections/);
  assert.throws(() => loadCoreConfig(join(dir, 'missing.json')), ConfigError);
  assert.throws(
    () => loadCoreConfig(file(keys), { env: { att_token_enc_key: '' }, flags: { att_token_enc_salt: 42 } }),
    (err: unknown) => err instanceof ConfigError && !/42|secret/.test(err.message) && /hidden|att_token/.test(err.message),
  );
});
