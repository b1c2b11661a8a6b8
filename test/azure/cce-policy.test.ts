/**
 * src/azure/cce-policy.ts: upstream's Rego edits (spec attestation-azure.md §2.3, §3.3), the
 * refusals, embedding into the templates, and the `az confcom` invocation. The sample policies in
 * fixtures/policies are shaped like `az confcom acipolicygen` output for our templates (trimmed;
 * layer hashes invented): the AKS one carries the three `X=X_PLACEHOLDER` string rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { acipolicygenCommand, CcePolicyError, editPolicy, embedPolicy, preparePolicy } from '../../src/azure/cce-policy.ts';
import { repoRoot } from '../support/shared.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/policies/${name}`, import.meta.url), 'utf8');
const AKS = fixture('aks-generated.rego');
const ACI = fixture('aci-generated.rego');
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const rule = (name: string, value: string, strategy: string) => `{"pattern":"${name}=${value}","required":false,"strategy":"${strategy}"}`;

test('AKS: the three env rules become X=.+ with re2, nothing else changes', () => {
  const edited = editPolicy('aks', AKS);
  let expected = AKS;
  for (const name of ['VAULT_NAME', 'OPERATOR_KEY_SECRET_NAME', 'DEPLOYMENT_ENVIRONMENT']) {
    expected = expected.replace(rule(name, `${name}_PLACEHOLDER`, 'string'), rule(name, '.+', 're2'));
  }
  assert.notEqual(expected, AKS);
  assert.equal(edited, expected);
  assert.match(edited, /allow_environment_variable_dropping := true/, 'AKS keeps the flag (upstream does not flip it there)');
});

test('ACI: allow_environment_variable_dropping flips to false, nothing else changes', () => {
  const edited = editPolicy('aci', ACI);
  assert.equal(edited, ACI.replace('allow_environment_variable_dropping := true', 'allow_environment_variable_dropping := false'));
});

test('the edit tolerates whitespace between tokens and writes upstream\'s compact rule', () => {
  const spaced = AKS.replace(rule('VAULT_NAME', 'VAULT_NAME_PLACEHOLDER', 'string'), '{ "pattern": "VAULT_NAME=VAULT_NAME_PLACEHOLDER", "required": false, "strategy": "string" }');
  assert.notEqual(spaced, AKS);
  assert.equal(editPolicy('aks', spaced), editPolicy('aks', AKS));
});

test('the enclave id is the SHA-256 of the edited Rego; the base64 decodes to it', () => {
  for (const [target, rego] of [['aks', AKS], ['aci', ACI]] as const) {
    const p = preparePolicy(target, rego);
    assert.equal(p.enclaveId, sha256(p.rego));
    assert.equal(Buffer.from(p.base64, 'base64').toString('utf8'), p.rego);
    assert.notEqual(p.enclaveId, sha256(rego));
  }
});

test('refuses a policy whose rule is missing', () => {
  const noVault = AKS.replace(`${rule('VAULT_NAME', 'VAULT_NAME_PLACEHOLDER', 'string')},`, '');
  assert.throws(() => editPolicy('aks', noVault), (e: unknown) => e instanceof CcePolicyError && /no env rule VAULT_NAME=VAULT_NAME_PLACEHOLDER/.test(e.message));
  assert.throws(() => editPolicy('aks', ACI), /no env rule VAULT_NAME/, 'the ACI policy is not an AKS policy');
  const noFlag = ACI.replace('allow_environment_variable_dropping := true\n', '');
  assert.throws(() => editPolicy('aci', noFlag), /no allow_environment_variable_dropping := true/);
});

test('refuses a rule present twice', () => {
  const env = rule('DEPLOYMENT_ENVIRONMENT', 'DEPLOYMENT_ENVIRONMENT_PLACEHOLDER', 'string');
  assert.throws(() => editPolicy('aks', AKS.replace(env, `${env},${env}`)), /DEPLOYMENT_ENVIRONMENT_PLACEHOLDER 2 times/);
  const twice = ACI.replace('allow_environment_variable_dropping := true', 'allow_environment_variable_dropping := true\nallow_environment_variable_dropping := true');
  assert.throws(() => editPolicy('aci', twice), /2 times; refusing an ambiguous edit/);
});

test('refuses a policy that was already edited, saying so', () => {
  assert.throws(() => editPolicy('aks', editPolicy('aks', AKS)), /already edited/);
  assert.throws(() => editPolicy('aci', editPolicy('aci', ACI)), /already edited/);
});

test('embeds into operator.yaml: only the annotation changes, comments and placeholders stay', () => {
  const template = readFileSync(join(repoRoot, 'deploy/aks/operator.yaml'), 'utf8');
  const out = embedPolicy('aks', template, 'UE9MSUNZ');
  const before = template.split('\n');
  const after = out.split('\n');
  assert.equal(after.length, before.length);
  const changed = after.filter((line, i) => line !== before[i]);
  assert.deepEqual(changed, ['        microsoft.containerinstance.virtualnode.ccepolicy: UE9MSUNZ']);
  assert.deepEqual(parseAllDocuments(out).map((d) => d.get('kind')), ['Deployment', 'Service']);
  // Embedding again replaces the policy.
  assert.match(embedPolicy('aks', out, 'T1RIRVI='), /ccepolicy: T1RIRVI=$/m);
});

test('embeds into operator.json: every container group\'s ccePolicy', () => {
  const out = JSON.parse(embedPolicy('aci', readFileSync(join(repoRoot, 'deploy/aci/operator.json'), 'utf8'), 'UE9MSUNZ'));
  assert.equal(out.resources[0].properties.confidentialComputeProperties.ccePolicy, 'UE9MSUNZ');
});

test('refuses templates without a place for the policy', () => {
  assert.throws(() => embedPolicy('aks', readFileSync(join(repoRoot, 'deploy/kustomize/base/deployment.yaml'), 'utf8'), 'x'), /no Deployment with the microsoft.containerinstance.virtualnode.ccepolicy annotation/);
  assert.throws(() => embedPolicy('aci', readFileSync(join(repoRoot, 'deploy/aci/vault.json'), 'utf8'), 'x'), /no Microsoft.ContainerInstance\/containerGroups/);
  assert.throws(() => embedPolicy('aci', '{', 'x'), /not valid JSON/);
});

test('the az confcom invocation per target, with quoting', () => {
  assert.equal(acipolicygenCommand('aks', 'operator.yaml'), 'az confcom acipolicygen --omit-id --virtual-node-yaml operator.yaml --print-policy > policy.b64');
  assert.equal(
    acipolicygenCommand('aci', 'my files/operator.json', 'aci.b64'),
    "az confcom acipolicygen --approve-wildcards --omit-id --template-file 'my files/operator.json' --print-policy > aci.b64",
  );
});
