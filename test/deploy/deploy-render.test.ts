/** `uid2 deploy render` and `uid2 policy-digest` (spec attestation-azure.md §2.3, §3.2, §3.3). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from './support/cli.ts';
import { findObject, kubectlPath, kustomize, parseManifest, validateObjects } from './support/kubernetes-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'deploy-render-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// Known answer: sha256("package policy\nallow := true\n"), computed independently with sha256sum.
const REGO = 'package policy\nallow := true\n';
const REGO_DIGEST = '91d20e3403c2d9c4dc88421a3e5ffdba3851d4222aa651fefe394305c1640b4c';
const policyFile = join(dir, 'policy.b64');
writeFileSync(policyFile, `${Buffer.from(REGO).toString('base64')}\n`);
const regoFile = join(dir, 'policy.rego');
writeFileSync(regoFile, REGO);

const IDENTITY = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-vn-aks/providers/Microsoft.ManagedIdentity/userAssignedIdentities/my-vn-aks-opr-id';
const AKS_FLAGS = [
  '--identity', IDENTITY,
  '--vault', 'my-vn-aks-vault',
  '--secret', 'my-vn-aks-opr-key-name',
  '--environment', 'integ',
  '--image', 'myacr.azurecr.io/uid2-operator:1.0.0-azure-cc',
  '--cce-policy', policyFile,
];
/** The environment without any of the variables the render falls back to. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !['MANAGED_IDENTITY_ID', 'KEYVAULT_NAME', 'KEYVAULT_SECRET_NAME', 'DEPLOYMENT_ENV', 'OPERATOR_IMAGE', 'CCE_POLICY_FILE'].includes(k)),
);

test('policy-digest prints the SHA-256 of the decoded Rego (known answer), also with --rego and stdin', () => {
  assert.equal(runCommand('policy-digest', ['policy-digest', policyFile]).stdout, `${REGO_DIGEST}\n`);
  assert.equal(runCommand('policy-digest', ['policy-digest', '--rego', regoFile]).stdout, `${REGO_DIGEST}\n`);
  assert.equal(runCommand('policy-digest', ['policy-digest', '-'], { input: Buffer.from(REGO).toString('base64') }).stdout, `${REGO_DIGEST}\n`);
});

test('policy-digest refuses text that is not base64, without a stack trace', () => {
  const r = runCommand('policy-digest', ['policy-digest', regoFile]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not valid base64/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(runCommand('policy-digest', ['policy-digest', join(dir, 'missing')]).status, 1);
});

test('render --target aks fills every placeholder and the result validates', () => {
  const r = runCommand('deploy', ['deploy', 'render', '--target', 'aks', ...AKS_FLAGS], { env: cleanEnv });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /PLACEHOLDER/);
  assert.match(r.stderr, new RegExp(REGO_DIGEST));
  const objects = parseManifest(r.stdout);
  validateObjects(objects);
  const pod = findObject(objects, 'Deployment', 'operator-deployment').spec.template;
  assert.equal(pod.metadata.annotations['microsoft.containerinstance.virtualnode.identity'], IDENTITY);
  assert.equal(pod.metadata.annotations['microsoft.containerinstance.virtualnode.ccepolicy'], Buffer.from(REGO).toString('base64'));
  const op = pod.spec.containers.find((c: { name: string }) => c.name === 'uid2-operator');
  assert.equal(op.image, 'myacr.azurecr.io/uid2-operator:1.0.0-azure-cc');
  assert.deepEqual(op.env.map((e: { value: string }) => e.value), ['my-vn-aks-vault', 'my-vn-aks-opr-key-name', 'integ', '5000']);
});

test('render takes values from the guide\'s environment variables and writes --out', () => {
  const out = join(dir, 'operator.yaml');
  const env = {
    ...cleanEnv,
    MANAGED_IDENTITY_ID: IDENTITY,
    KEYVAULT_NAME: 'my-vn-aks-vault',
    KEYVAULT_SECRET_NAME: 'opr-key',
    DEPLOYMENT_ENV: 'prod',
    OPERATOR_IMAGE: 'myacr.azurecr.io/uid2-operator:1.0.0',
    CCE_POLICY_FILE: policyFile,
  };
  const r = runCommand('deploy', ['deploy', 'render', '--target', 'aks', '--out', out], { env });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const text = readFileSync(out, 'utf8');
  assert.doesNotMatch(text, /PLACEHOLDER/);
  assert.match(text, /value: prod/);
});

test('render refuses to leave a placeholder unfilled and names the flag and variable', () => {
  const withoutVault = AKS_FLAGS.filter((_, i) => AKS_FLAGS[i] !== '--vault' && AKS_FLAGS[i - 1] !== '--vault');
  const r = runCommand('deploy', ['deploy', 'render', '--target', 'aks', ...withoutVault], { env: cleanEnv });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /VAULT_NAME_PLACEHOLDER: pass --vault or set KEYVAULT_NAME/);
  const none = runCommand('deploy', ['deploy', 'render', '--target', 'aks'], { env: cleanEnv });
  assert.equal(none.status, 1);
  for (const p of ['IDENTITY', 'VAULT_NAME', 'OPERATOR_KEY_SECRET_NAME', 'DEPLOYMENT_ENVIRONMENT', 'IMAGE', 'CCE_POLICY']) {
    assert.match(none.stderr, new RegExp(`${p}_PLACEHOLDER`));
  }
});

test('render rejects unsafe or malformed values', () => {
  const replace = (flag: string, value: string) => AKS_FLAGS.map((v, i) => (AKS_FLAGS[i - 1] === flag ? value : v));
  for (const [flag, value, message] of [
    ['--environment', 'staging', /--environment/],
    ['--vault', 'bad vault"name', /--vault/],
    ['--identity', 'my-identity', /--identity/],
    ['--image', 'repo:tag\n  evil: true', /--image/],
  ] as const) {
    const r = runCommand('deploy', ['deploy', 'render', '--target', 'aks', ...replace(flag, value)], { env: cleanEnv });
    assert.equal(r.status, 1, flag);
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
  const badPolicy = join(dir, 'bad.b64');
  writeFileSync(badPolicy, 'not base64 at all!');
  const r = runCommand('deploy', ['deploy', 'render', '--target', 'aks', ...replace('--cce-policy', badPolicy)], { env: cleanEnv });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--cce-policy/);
});

test('render --target aci fills the image and policy and sets parameter defaults', () => {
  const r = runCommand(
    'deploy',
    ['deploy', 'render', '--target', 'aci', '--image', 'myacr.azurecr.io/uid2-operator:1.0.0', '--cce-policy', policyFile, '--vault', 'my-vault', '--identity', 'uid-operator', '--environment', 'prod'],
    { env: cleanEnv },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /PLACEHOLDER/);
  const arm = JSON.parse(r.stdout);
  const group = arm.resources[0];
  assert.equal(group.properties.confidentialComputeProperties.ccePolicy, Buffer.from(REGO).toString('base64'));
  assert.equal(group.properties.containers[0].properties.image, 'myacr.azurecr.io/uid2-operator:1.0.0');
  assert.equal(arm.parameters.vaultName.defaultValue, 'my-vault');
  assert.equal(arm.parameters.deploymentEnvironment.defaultValue, 'prod');
  assert.equal(arm.parameters.operatorIdentifier.defaultValue, 'uid-operator');

  const missing = runCommand('deploy', ['deploy', 'render', '--target', 'aci', '--image', 'x/y:1'], { env: cleanEnv });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /CCE_POLICY_PLACEHOLDER/);
  const fullId = runCommand('deploy', ['deploy', 'render', '--target', 'aci', '--image', 'x/y:1', '--cce-policy', policyFile, '--identity', IDENTITY], { env: cleanEnv });
  assert.equal(fullId.status, 1);
  assert.match(fullId.stderr, /identity name/);
  assert.equal(runCommand('deploy', ['deploy', 'render', '--target', 'gke'], { env: cleanEnv }).status, 1);
});

test('render accepts the aks-virtual-nodes kustomize output through --in -', (t) => {
  if (!kubectlPath) {
    t.skip('kubectl is not installed');
    return;
  }
  const template = kustomize('deploy/kustomize/overlays/aks-virtual-nodes');
  const r = runCommand('deploy', ['deploy', 'render', '--target', 'aks', '--in', '-', ...AKS_FLAGS], { env: cleanEnv, input: template });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /PLACEHOLDER/);
  validateObjects(parseManifest(r.stdout));
});
