import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localConfigPath } from '../support/shared.ts';
import { layerConfig, loadOperatorConfig } from '../../src/operator/config/config-layers.ts';
import { ConfigError } from '../../src/operator/config/config-error.ts';
import { IdentityScope } from '../../src/protocol/identity-kinds.ts';

const dir = mkdtempSync(join(tmpdir(), 'uid2-config-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

test('built-in defaults match spec §11', () => {
  const c = loadOperatorConfig({});
  assert.equal(c.identityScope, IdentityScope.UID2);
  assert.equal(c.enableV2Encryption, true);
  assert.equal(c.enablePhoneSupport, true);
  assert.equal(c.clientSideTokenGenerate, false);
  assert.equal(c.tcfVendorId, 21);
  assert.equal(c.optoutStatusMaxRequestSize, 5000);
  assert.equal(c.port, 8080);
  assert.equal(c.metricsPort, 9080);
  assert.equal(c.staticLifetimes, undefined);
  assert.equal(c.refreshMs.salts, 10_000);
});

test('the upstream local config parses into camelCase', () => {
  const c = loadOperatorConfig({ files: [localConfigPath] });
  assert.equal(c.enableV2Encryption, false);
  assert.equal(c.clientSideTokenGenerate, true);
  assert.equal(c.keySharingEndpointProvideAppNames, true);
  assert.equal(c.metadataPaths.salts, '/com.uid2.core/test/salts/metadata.json');
  assert.deepEqual(c.staticLifetimes && {
    i: c.staticLifetimes.identityExpiresAfterSeconds,
    r: c.staticLifetimes.refreshExpiresAfterSeconds,
    f: c.staticLifetimes.refreshIdentityAfterSeconds,
    b: c.staticLifetimes.maxBidstreamLifetimeSeconds,
  }, { i: 3600, r: 86400, f: 900, b: 3600 });
  assert.equal(c.uidInstanceIdPrefix, 'local-operator');
});

test('layers: defaults < files in order < environment < flags', () => {
  const a = file('a.json', { port: 1000, tcf_vendor_id: 5, identity_scope: 'euid' });
  const b = file('b.json', { port: 2000 });
  const raw = layerConfig({ files: [a, b], env: { port: '3000', PATH: '/bin', tcf_vendor_id: '7' }, flags: { port: '4000' } });
  assert.equal(raw.port, 4000);
  assert.equal(raw.tcf_vendor_id, 7);
  assert.equal(raw.identity_scope, 'euid');
  const noFlags = layerConfig({ files: [a, b], env: { port: '3000' } });
  assert.equal(noFlags.port, 3000);
  assert.equal(layerConfig({ files: [a, b] }).port, 2000);
  assert.equal(layerConfig({ files: [b, a] }).port, 1000);
});

test('environment variables are named exactly like the keys and coerced', () => {
  const c = loadOperatorConfig({ env: { core_api_token: 'tok', enable_v2_encryption: 'false', CORE_API_TOKEN: 'ignored' } });
  assert.equal(c.coreApiToken, 'tok');
  assert.equal(c.enableV2Encryption, false);
});

test('YAML config files are accepted', () => {
  const y = file('c.yaml', 'identity_scope: euid\nport_offset: 10\n');
  const c = loadOperatorConfig({ files: [y] });
  assert.equal(c.identityScope, IdentityScope.EUID);
  assert.equal(c.port, 8090);
  assert.equal(c.metricsPort, 9090);
});

test('validation fails with clear messages', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ identity_scope: 'abc' }, /"identity_scope" must be uid2 or euid/],
    [{ enable_v2_encryption: 'yes' }, /"enable_v2_encryption" must be a boolean/],
    [{ port: 1.5 }, /"port" must be an integer/],
    [{ port: 70000 }, /"port".*0\.\.65535/],
    [{ operator_type: 'weird' }, /"operator_type" must be public or private/],
    [{ enclave_platform: 'x86' }, /"enclave_platform"/],
    [{ identity_token_expires_after_seconds: 100, refresh_token_expires_after_seconds: 50, refresh_identity_token_after_seconds: 10 }, /identity_token_expires_after_seconds \(100\) must be <= refresh_token_expires_after_seconds/],
    [{ identity_token_expires_after_seconds: 100, refresh_token_expires_after_seconds: 500, refresh_identity_token_after_seconds: 200 }, /refresh_identity_token_after_seconds \(200\) must be <=/],
    [{ identity_token_expires_after_seconds: 100 }, /must be set together/],
    [{ identity_token_expires_after_seconds: 100, refresh_token_expires_after_seconds: 500, refresh_identity_token_after_seconds: 10, max_bidstream_lifetime_seconds: 50 }, /max_bidstream_lifetime_seconds/],
    [{ identity_environment: 'staging' }, /identity_environment/],
    [{ optout_status_max_request_size: 0 }, /positive integer/],
  ];
  for (const [content, message] of cases) {
    const path = file('bad.json', content);
    assert.throws(() => loadOperatorConfig({ files: [path] }), (err: unknown) => err instanceof ConfigError && message.test(err.message), JSON.stringify(content));
  }
});

test('bad files and flags are reported, secrets are not echoed', () => {
  assert.throws(() => loadOperatorConfig({ files: [join(dir, 'missing.json')] }), /cannot read config file .*ENOENT/);
  assert.throws(() => loadOperatorConfig({ files: [file('x.json', '{nope')] }), /not valid JSON/);
  assert.throws(() => loadOperatorConfig({ files: [file('y.json', '[1]')] }), /must hold an object/);
  assert.throws(() => loadOperatorConfig({ flags: { no_such_key: '1' } }), /unknown config flag "no_such_key"/);
  assert.throws(
    () => loadOperatorConfig({ files: [file('z.json', { core_api_token: 12345 })] }),
    (err: unknown) => err instanceof ConfigError && !err.message.includes('12345') && err.message.includes('(hidden)'),
  );
});

test('the parsed config is frozen', () => {
  const c = loadOperatorConfig({});
  assert.ok(Object.isFrozen(c));
  assert.ok(Object.isFrozen(c.metadataPaths));
});
