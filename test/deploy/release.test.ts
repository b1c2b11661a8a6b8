/**
 * `uid2 release` through bin/uid2.mjs as a child process (issue 18 "Must show"): the files, the
 * checksums (`sha256sum -c`), byte-identical output on a second run, the refusal of a tag, the
 * ZIP contents, Kubernetes schema validation over every rendered manifest in the ZIPs, the
 * enclave ids when policies are given, and a reproducible SBOM of the production dependencies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { editPolicy } from '../../src/azure/cce-policy.ts';
import { repoRoot } from '../support/shared.ts';
import { findObject, kubectlPath, kustomize, parseManifest, validateObjects } from './support/kubernetes-schema.ts';
import { readZip } from './support/zip-reader.ts';

const dir = mkdtempSync(join(tmpdir(), 'release-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const V = '1.2.3';
const IMAGE = `example.azurecr.io/uid2/operator@sha256:${'c0ffee'.repeat(10)}abcd`;
const AKS_ZIP = `uid2-operator-aks-deployment-files-${V}.zip`;
const ACI_ZIP = `uid2-operator-azure-cc-deployment-files-${V}.zip`;
const SGX_ZIP = `uid2-operator-azure-sgx-deployment-files-${V}.zip`;
const SBOM = `uid2-operator-sbom-${V}.cdx.json`;
const sample = (name: string) => readFileSync(new URL(`../azure/fixtures/policies/${name}`, import.meta.url), 'utf8');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function uid2(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'uid2.mjs'), ...args], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function release(out: string, extra: string[] = []): void {
  const r = uid2(['release', '--version', V, '--image', IMAGE, '--out', out, ...extra]);
  assert.equal(r.status, 0, r.stderr);
}

const plain = join(dir, 'plain');
const again = join(dir, 'again');
const withPolicies = join(dir, 'with-policies');
const policyDir = join(dir, 'policies');
mkdirSync(policyDir);
writeFileSync(join(policyDir, 'aks.b64'), Buffer.from(sample('aks-generated.rego')).toString('base64'));
writeFileSync(join(policyDir, 'aci.b64'), Buffer.from(sample('aci-generated.rego')).toString('base64'));

test.before(() => {
  release(plain);
  release(again);
  release(withPolicies, ['--aks-policy', join(policyDir, 'aks.b64'), '--aci-policy', join(policyDir, 'aci.b64')]);
});

const entries = (releaseDir: string, zip: string) => new Map(readZip(readFileSync(join(releaseDir, zip))).map((e) => [e.name, e.data.toString('utf8')]));

test('writes the three ZIPs, the SBOM and SHA256SUMS; sha256sum -c passes', (t) => {
  assert.deepEqual(readdirSync(plain).sort(), ['SHA256SUMS', AKS_ZIP, ACI_ZIP, SGX_ZIP, SBOM].sort());
  const sums = readFileSync(join(plain, 'SHA256SUMS'), 'utf8');
  for (const line of sums.trimEnd().split('\n')) {
    const [hash, name] = line.split('  ');
    assert.equal(sha256(readFileSync(join(plain, name))), hash, name);
  }
  assert.equal(sums.trimEnd().split('\n').length, 4);
  if (!existsSync('/usr/bin/sha256sum')) {
    t.skip('sha256sum is not installed');
    return;
  }
  const check = spawnSync('/usr/bin/sha256sum', ['-c', 'SHA256SUMS'], { cwd: plain, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stdout + check.stderr);
});

test('a second run gives identical bytes', () => {
  for (const name of readdirSync(plain)) assert.ok(readFileSync(join(plain, name)).equals(readFileSync(join(again, name))), name);
});

test('refuses an image by tag, no digest, or a bad version, with one clear line and no files', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--image', 'example.azurecr.io/uid2/operator:1.2.3'], /--image must name the image by digest, not by tag \(":1.2.3"\)/],
    [['--image', 'example.azurecr.io/uid2/operator:1.2.3@sha256:' + 'a'.repeat(64)], /not by tag/],
    [['--image', 'example.azurecr.io/uid2/operator'], /--image must name the image by digest/],
    [['--image', 'example.azurecr.io/uid2/operator@sha256:abc'], /64 lowercase hex/],
    [['--version', 'latest'], /--version must be a release version/],
  ];
  for (const [i, [override, message]] of cases.entries()) {
    const out = join(dir, `refused-${i}`);
    const args = ['release', '--version', V, '--image', IMAGE, '--out', out];
    const at = args.indexOf(override[0]);
    args[at + 1] = override[1];
    const r = uid2(args);
    assert.equal(r.status, 1, override.join(' '));
    assert.match(r.stderr, message);
    assert.match(r.stderr, /^uid2 release: [^\n]+\n$/);
    assert.equal(existsSync(out), false);
  }
});

test('the AKS ZIP: operator.yaml by digest with the guide\'s placeholders, the overlays, both READMEs', () => {
  const files = entries(plain, AKS_ZIP);
  assert.deepEqual([...files.keys()].filter((n) => !n.startsWith('kustomize/')), ['README.ja.md', 'README.md', 'operator.yaml']);
  for (const d of ['base', 'overlays/aks-virtual-nodes', 'overlays/integ']) {
    const expected = readdirSync(join(repoRoot, 'deploy/kustomize', d)).map((f) => `kustomize/${d}/${f}`).sort();
    assert.deepEqual([...files.keys()].filter((n) => n.startsWith(`kustomize/${d}/`)), expected);
  }
  const operatorYaml = files.get('operator.yaml')!;
  const manifest = parseManifest(operatorYaml);
  validateObjects(manifest);
  const op = findObject(manifest, 'Deployment', 'operator-deployment').spec.template.spec.containers.find((c: { name: string }) => c.name === 'uid2-operator');
  assert.equal(op.image, IMAGE);
  const placeholders = [...new Set(operatorYaml.replace(/^#.*$/gm, '').match(/[A-Z_]+_PLACEHOLDER/g))].sort();
  assert.deepEqual(placeholders, ['CCE_POLICY_PLACEHOLDER', 'DEPLOYMENT_ENVIRONMENT_PLACEHOLDER', 'IDENTITY_PLACEHOLDER', 'OPERATOR_KEY_SECRET_NAME_PLACEHOLDER', 'VAULT_NAME_PLACEHOLDER']);
  assert.match(files.get('README.md')!, new RegExp(`Operator image: \`${IMAGE}\``));
  assert.match(files.get('README.md')!, /AKS enclave id \(`operator.yaml`\): `none`/);
  assert.doesNotMatch(files.get('README.ja.md')! + files.get('README.md')!, /\{\{/);
});

test('the ACI ZIP: four templates, each with its parameters file; the image by digest; imageVersion = release', () => {
  const files = entries(plain, ACI_ZIP);
  assert.deepEqual([...files.keys()], [
    'README.ja.md', 'README.md', 'gateway.json', 'gateway.parameters.json', 'operator.json', 'operator.parameters.json',
    'vault.json', 'vault.parameters.json', 'vnet.json', 'vnet.parameters.json',
  ]);
  const operator = JSON.parse(files.get('operator.json')!);
  assert.equal(operator.resources[0].properties.containers[0].properties.image, IMAGE);
  assert.equal(operator.resources[0].properties.confidentialComputeProperties.ccePolicy, 'CCE_POLICY_PLACEHOLDER');
  assert.equal(JSON.parse(files.get('operator.parameters.json')!).parameters.imageVersion.value, V);
  for (const name of ['vault', 'vnet', 'gateway']) {
    assert.equal(files.get(`${name}.json`), readFileSync(join(repoRoot, 'deploy/aci', `${name}.json`), 'utf8'), name);
  }
});

test('the SGX ZIP: base and sgx-node-pool overlay with the EPC limit, and the packaging notes', () => {
  const files = entries(plain, SGX_ZIP);
  assert.ok(files.has('kustomize/overlays/sgx-node-pool/kustomization.yaml'));
  assert.ok(files.has('kustomize/base/deployment.yaml'));
  assert.equal([...files.keys()].some((n) => n.includes('aks-virtual-nodes')), false);
  assert.match(files.get('kustomize/overlays/sgx-node-pool/deployment-patch.yaml')!, /kubernetes\.azure\.com\/sgx_epc_mem_in_MiB: 160/);
  assert.match(files.get('README.md')!, /## SGX node pool/);
});

/** Every manifest a customer applies from the ZIPs validates against the Kubernetes schemas. */
test('Kubernetes schema validation over every rendered file in the ZIPs', (t) => {
  const unpacked = join(dir, 'unpacked');
  for (const zip of [AKS_ZIP, SGX_ZIP]) {
    for (const e of readZip(readFileSync(join(plain, zip)))) {
      const path = join(unpacked, zip, e.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, e.data);
    }
  }
  validateObjects(parseManifest(readFileSync(join(unpacked, AKS_ZIP, 'operator.yaml'), 'utf8')));
  for (const file of readdirSync(join(unpacked, AKS_ZIP, 'kustomize/base')).filter((f) => f !== 'kustomization.yaml')) {
    validateObjects(parseManifest(readFileSync(join(unpacked, AKS_ZIP, 'kustomize/base', file), 'utf8')));
  }
  if (!kubectlPath) {
    t.skip('kubectl is not installed: overlays not rendered');
    return;
  }
  const overlays: Array<[string, string]> = [[AKS_ZIP, 'aks-virtual-nodes'], [AKS_ZIP, 'integ'], [SGX_ZIP, 'sgx-node-pool']];
  for (const [zip, overlay] of overlays) {
    const objects = parseManifest(kustomize(join(unpacked, zip, 'kustomize/overlays', overlay)));
    validateObjects(objects);
    const op = findObject(objects, 'Deployment', 'operator-deployment').spec.template.spec.containers.find((c: { name: string }) => c.name === 'uid2-operator');
    if (overlay !== 'sgx-node-pool') assert.equal(op.image, IMAGE, overlay);
  }
});

test('with policies: enclave id files, the edited policies embedded, the ids in the READMEs', () => {
  const aksRego = editPolicy('aks', sample('aks-generated.rego'));
  const aciRego = editPolicy('aci', sample('aci-generated.rego'));
  assert.equal(readFileSync(join(withPolicies, `azure-aks-enclave-id-${V}.txt`), 'utf8'), `${sha256(aksRego)}\n`);
  assert.equal(readFileSync(join(withPolicies, `azure-cc-enclave-id-${V}.txt`), 'utf8'), `${sha256(aciRego)}\n`);
  assert.match(readFileSync(join(withPolicies, 'SHA256SUMS'), 'utf8'), new RegExp(`  azure-aks-enclave-id-${V}.txt\n`));
  const aks = entries(withPolicies, AKS_ZIP);
  const pod = findObject(parseManifest(aks.get('operator.yaml')!), 'Deployment', 'operator-deployment').spec.template;
  assert.equal(Buffer.from(pod.metadata.annotations['microsoft.containerinstance.virtualnode.ccepolicy'], 'base64').toString('utf8'), aksRego);
  assert.match(aks.get('kustomize/overlays/aks-virtual-nodes/deployment-patch.yaml')!, /ccepolicy: CCE_POLICY_PLACEHOLDER/, 'the overlay needs its own policy');
  assert.match(aks.get('README.md')!, new RegExp(`AKS enclave id \\(\`operator.yaml\`\\): \`${sha256(aksRego)}\``));
  assert.match(aks.get('README.ja.md')!, new RegExp(sha256(aciRego)));
  const aci = JSON.parse(entries(withPolicies, ACI_ZIP).get('operator.json')!);
  assert.equal(Buffer.from(aci.resources[0].properties.confidentialComputeProperties.ccePolicy, 'base64').toString('utf8'), aciRego);
});

test('a policy the edit must refuse fails the release with the option named', () => {
  const bad = join(policyDir, 'bad.rego');
  writeFileSync(bad, sample('aci-generated.rego'));
  const r = uid2(['release', '--version', V, '--image', IMAGE, '--out', join(dir, 'bad'), '--aks-policy', bad, '--rego']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^uid2 release: --aks-policy: the policy has no env rule VAULT_NAME=VAULT_NAME_PLACEHOLDER/);
});

test('the SBOM: CycloneDX of the production dependencies, without run-dependent fields', () => {
  const bom = JSON.parse(readFileSync(join(plain, SBOM), 'utf8'));
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(bom.metadata.timestamp, undefined);
  assert.equal(bom.metadata.component.name, pkg.name);
  assert.deepEqual(bom.metadata.properties, [{ name: 'uid2:release-version', value: V }, { name: 'uid2:image', value: IMAGE }]);
  const names = new Set(bom.components.map((c: { name: string }) => c.name));
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(names.has(dep), `production dependency ${dep}`);
  for (const dev of Object.keys(pkg.devDependencies)) assert.equal(names.has(dev), false, `dev dependency ${dev}`);
});
