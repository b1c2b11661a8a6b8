/** OptOut's config through the shared layers (src/config): optional file < environment, typed once. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadOptOutConfig, OPTOUT_CONFIG_FILE } from '../../src/optout/optout-config.ts';
import { OPTOUT_CONFIG_FILE as DATASET_OPTOUT_CONFIG_FILE } from '../../src/core/dataset/index.ts';

function dirWith(content?: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'uid2-optout-config-'));
  if (content) writeFileSync(join(dir, OPTOUT_CONFIG_FILE), JSON.stringify(content));
  return dir;
}
const dirs: string[] = [];
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const make = (content?: Record<string, unknown>) => {
  const d = dirWith(content);
  dirs.push(d);
  return d;
};

test('no file: upstream defaults, no token keys, JWT not enforced; the data set writes the same file name', () => {
  const c = loadOptOutConfig(make());
  assert.equal(c.deltaRotateIntervalS, 300);
  assert.equal(c.maxPartitions, 30);
  assert.equal(c.attestation.tokenKeys, undefined);
  assert.equal(c.attestation.enforceJwt, false);
  assert.equal(c.attestation.jwksUrl, 'http://localhost:8088/.well-known/jwks.json');
  assert.equal(DATASET_OPTOUT_CONFIG_FILE, OPTOUT_CONFIG_FILE);
});

test('the environment overrides the file; the JWKS follows core_public_url unless set', () => {
  const d = make({ optout_publish_interval_ms: 500, att_token_enc_key: 'k', att_token_enc_salt: 's', core_public_url: 'http://core/' });
  const c = loadOptOutConfig(d, { env: { enforce_jwt: 'true', optout_url: 'http://optout', http_keep_alive_timeout_seconds: '3' } });
  assert.equal(c.publishIntervalMs, 500);
  assert.deepEqual(c.attestation.tokenKeys, { key: 'k', salt: 's' });
  assert.equal(c.attestation.enforceJwt, true);
  assert.equal(c.attestation.audience, 'http://optout');
  assert.equal(c.attestation.jwksUrl, 'http://core/.well-known/jwks.json');
  assert.equal(c.serverLimits.keepAliveTimeoutMs, 3000);
  assert.equal(loadOptOutConfig(d, { env: { core_jwks_url: 'http://elsewhere/jwks' } }).attestation.jwksUrl, 'http://elsewhere/jwks');
});

test('refusals name the key', () => {
  assert.throws(() => loadOptOutConfig(make({ optout_producer_replica_id: 1000 })), /optout_producer_replica_id" must be <= 999/);
  assert.throws(() => loadOptOutConfig(make({ optout_publish_interval_ms: 10 })), /optout_publish_interval_ms" must be an integer >= 100/);
  assert.throws(() => loadOptOutConfig(make({ att_token_enc_key: 'k' })), /must be set together/);
  assert.throws(() => loadOptOutConfig(make({ enforce_jwt: 'yes' })), ConfigError);
});
