/**
 * The contents of the three release ZIPs (issue 18; upstream publishes the same sets per version):
 *
 * | package                                   | files                                              |
 * | uid2-operator-aks-deployment-files-V      | operator.yaml (image by digest; the AKS policy     |
 * |                                           | when given; the guide's placeholders kept for the  |
 * |                                           | customer's sed or `uid2 deploy render` step),      |
 * |                                           | kustomize/ base + aks-virtual-nodes + integ        |
 * | uid2-operator-azure-cc-deployment-files-V | operator, vault, vnet, gateway .json, each with    |
 * |                                           | its .parameters.json (the ACI policy when given)   |
 * | uid2-operator-azure-sgx-deployment-files-V| kustomize/ base + sgx-node-pool (EPC limit)        |
 * Every package also carries README.md and README.ja.md (deploy/release), filled for the version.
 * The kustomize overlays keep CCE_POLICY_PLACEHOLDER: their pod spec differs from operator.yaml,
 * so they need a policy (and an enclave id) of their own (`uid2 deploy policy`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { embedPolicy, type EditedPolicy } from '../cce-policy.ts';
import { setOperatorImage, YAML_OUTPUT } from '../operator-image.ts';
import type { ZipEntry } from './zip-archive.ts';
import type { ImageReference } from './release-inputs.ts';

export const ARM_TEMPLATES = ['operator', 'vault', 'vnet', 'gateway'] as const;

export interface ReleaseContent {
  readonly version: string;
  readonly image: ImageReference;
  /** The repository's deploy/ directory. */
  readonly deployDir: string;
  readonly aksPolicy?: EditedPolicy;
  readonly aciPolicy?: EditedPolicy;
}

function read(c: ReleaseContent, path: string): string {
  return readFileSync(join(c.deployDir, path), 'utf8');
}

/** Every file of a kustomize directory, named as in the ZIP (`kustomize/<dir>/<file>`). */
function kustomizeDir(c: ReleaseContent, dir: string, edit: (name: string, text: string) => string = (_, t) => t): ZipEntry[] {
  return readdirSync(join(c.deployDir, 'kustomize', dir))
    .sort()
    .map((name) => ({ name: `kustomize/${dir}/${name}`, data: edit(name, read(c, `kustomize/${dir}/${name}`)) }));
}

/** The integ overlay names its image through kustomize `images`: pin it to the digest. */
function pinKustomizeImage(kustomization: string, image: ImageReference): string {
  const doc = parseDocument(kustomization);
  const images = doc.get('images') as { items?: Array<{ set(k: string, v: unknown): void; delete(k: string): void }> } | undefined;
  for (const entry of images?.items ?? []) {
    entry.set('newName', image.repository);
    entry.delete('newTag');
    entry.set('digest', image.digest);
  }
  return doc.toString(YAML_OUTPUT);
}

function readmes(c: ReleaseContent, render: (template: string) => string): ZipEntry[] {
  return [
    { name: 'README.md', data: render(read(c, 'release/README.md')) },
    { name: 'README.ja.md', data: render(read(c, 'release/README.ja.md')) },
  ];
}

export function aksPackage(c: ReleaseContent, render: (template: string) => string): ZipEntry[] {
  let operatorYaml = setOperatorImage('aks', read(c, 'aks/operator.yaml'), c.image.reference);
  if (c.aksPolicy) operatorYaml = embedPolicy('aks', operatorYaml, c.aksPolicy.base64);
  const withImage = (name: string, text: string) => (name === 'deployment-patch.yaml' ? setOperatorImage('aks', text, c.image.reference) : text);
  const integ = (name: string, text: string) => (name === 'kustomization.yaml' ? pinKustomizeImage(text, c.image) : text);
  return [
    { name: 'operator.yaml', data: operatorYaml },
    ...kustomizeDir(c, 'base'),
    ...kustomizeDir(c, 'overlays/aks-virtual-nodes', withImage),
    ...kustomizeDir(c, 'overlays/integ', integ),
    ...readmes(c, render),
  ];
}

/** operator.parameters.json names the container groups after the release. */
function operatorParameters(c: ReleaseContent, text: string): string {
  const file = JSON.parse(text) as { parameters: Record<string, { value: unknown }> };
  file.parameters.imageVersion = { value: c.version };
  return `${JSON.stringify(file, null, 2)}\n`;
}

export function azureCcPackage(c: ReleaseContent, render: (template: string) => string): ZipEntry[] {
  let operatorJson = setOperatorImage('aci', read(c, 'aci/operator.json'), c.image.reference);
  if (c.aciPolicy) operatorJson = embedPolicy('aci', operatorJson, c.aciPolicy.base64);
  const entries: ZipEntry[] = [];
  for (const name of ARM_TEMPLATES) {
    const parameters = read(c, `aci/${name}.parameters.json`);
    entries.push(
      { name: `${name}.json`, data: name === 'operator' ? operatorJson : read(c, `aci/${name}.json`) },
      { name: `${name}.parameters.json`, data: name === 'operator' ? operatorParameters(c, parameters) : parameters },
    );
  }
  return [...entries, ...readmes(c, render)];
}

export function sgxPackage(c: ReleaseContent, render: (template: string) => string): ZipEntry[] {
  return [...kustomizeDir(c, 'base'), ...kustomizeDir(c, 'overlays/sgx-node-pool'), ...readmes(c, render)];
}
