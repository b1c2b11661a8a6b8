/**
 * `uid2 deploy policy` as a child process: the policy step (src/azure/cce-policy.ts) on the sample
 * policies in test/azure/fixtures/policies, its refusals, and the az invocation it prints when no
 * policy is given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { editPolicy } from '../../src/azure/cce-policy.ts';
import { runCommand } from './support/cli.ts';
import { findObject, parseManifest, validateObjects } from './support/kubernetes-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'deploy-policy-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const IMAGE = `example.azurecr.io/uid2/operator@sha256:${'b'.repeat(64)}`;
const sample = (name: string) => readFileSync(new URL(`../azure/fixtures/policies/${name}`, import.meta.url), 'utf8');
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};
const aksPolicy = write('aks.b64', `${Buffer.from(sample('aks-generated.rego')).toString('base64')}\n`);
const aciPolicy = write('aci.b64', Buffer.from(sample('aci-generated.rego')).toString('base64'));
const digest = (rego: string) => createHash('sha256').update(rego).digest('hex');

test('aks: edits, embeds the policy in operator.yaml, prints and writes the enclave id', () => {
  const out = join(dir, 'operator.yaml');
  const idFile = join(dir, 'aks-id.txt');
  const r = runCommand('deploy-policy', ['deploy', 'policy', '--target', 'aks', '--image', IMAGE, '--policy', aksPolicy, '--out', out, '--enclave-id-out', idFile]);
  assert.equal(r.status, 0, r.stderr);
  const edited = editPolicy('aks', sample('aks-generated.rego'));
  assert.equal(r.stderr, `enclave id (register with Core for protocol azure-cc): ${digest(edited)}\n`);
  assert.equal(readFileSync(idFile, 'utf8'), `${digest(edited)}\n`);
  const objects = parseManifest(readFileSync(out, 'utf8'));
  validateObjects(objects);
  const pod = findObject(objects, 'Deployment', 'operator-deployment').spec.template;
  assert.equal(Buffer.from(pod.metadata.annotations['microsoft.containerinstance.virtualnode.ccepolicy'], 'base64').toString('utf8'), edited);
  assert.equal(pod.spec.containers.find((c: { name: string }) => c.name === 'uid2-operator').image, IMAGE);
  assert.equal(pod.metadata.annotations['microsoft.containerinstance.virtualnode.identity'], 'IDENTITY_PLACEHOLDER', 'customer placeholders stay');
});

test('aci: embeds the edited policy as the container group ccePolicy (stdout), plain Rego with --rego', () => {
  const rego = write('aci.rego', sample('aci-generated.rego'));
  const r = runCommand('deploy-policy', ['deploy', 'policy', '--target', 'aci', '--image', IMAGE, '--policy', rego, '--rego']);
  assert.equal(r.status, 0, r.stderr);
  const arm = JSON.parse(r.stdout);
  const edited = editPolicy('aci', sample('aci-generated.rego'));
  assert.equal(arm.resources[0].properties.confidentialComputeProperties.ccePolicy, Buffer.from(edited).toString('base64'));
  assert.match(r.stderr, new RegExp(digest(edited)));
  assert.equal(runCommand('deploy-policy', ['deploy', 'policy', '--target', 'aci', '--image', IMAGE, '--policy', aciPolicy]).status, 0);
});

test('refuses a policy missing a rule, present twice, or already edited: one line, nothing written', () => {
  const rule = '{"pattern":"VAULT_NAME=VAULT_NAME_PLACEHOLDER","required":false,"strategy":"string"}';
  const cases: Array<[string, RegExp]> = [
    [sample('aks-generated.rego').replace(`${rule},`, ''), /no env rule VAULT_NAME=VAULT_NAME_PLACEHOLDER/],
    [sample('aks-generated.rego').replace(rule, `${rule},${rule}`), /2 times/],
    [editPolicy('aks', sample('aks-generated.rego')), /already edited/],
  ];
  for (const [i, [rego, message]] of cases.entries()) {
    const out = join(dir, `refused-${i}.yaml`);
    const r = runCommand('deploy-policy', ['deploy', 'policy', '--target', 'aks', '--image', IMAGE, '--policy', write(`bad-${i}.rego`, rego), '--rego', '--out', out]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^uid2 deploy policy: [^\n]+\n$/);
    assert.throws(() => readFileSync(out), /ENOENT/);
  }
});

test('without --policy: prints the exact az confcom invocation and the next command', () => {
  const template = write('prepared.yaml', readFileSync(new URL('../../deploy/aks/operator.yaml', import.meta.url), 'utf8').replace('image: IMAGE_PLACEHOLDER', `image: ${IMAGE}`));
  const r = runCommand('deploy-policy', ['deploy', 'policy', '--target', 'aks', '--in', template]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      '# 1. generate the policy (Azure CLI with the confcom extension, and docker):',
      `az confcom acipolicygen --omit-id --virtual-node-yaml ${template} --print-policy > policy.b64`,
      '# 2. apply the release edits, embed the policy and print the enclave id:',
      `uid2 deploy policy --target aks --in ${template} --policy policy.b64 --out ${template}`,
      '',
    ].join('\n'),
  );
});

test('without --policy, --image fills the template into --out and the invocation reads that file', () => {
  const out = join(dir, 'with-image.json');
  const r = runCommand('deploy-policy', ['deploy', 'policy', '--target', 'aci', '--image', IMAGE, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^az confcom acipolicygen --approve-wildcards --omit-id --template-file ${out} --print-policy > policy.b64$`, 'm'));
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).resources[0].properties.containers[0].properties.image, IMAGE);
});

test('refuses to make a policy for a template whose image is still IMAGE_PLACEHOLDER', () => {
  const r = runCommand('deploy-policy', ['deploy', 'policy', '--target', 'aks']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /still IMAGE_PLACEHOLDER: the policy pins the image, so pass --image/);
  assert.equal(r.stdout, '');
  assert.equal(runCommand('deploy-policy', ['deploy', 'policy', '--target', 'gke']).status, 1);
});
