/**
 * Reads and sets the image of the operator container (`uid2-operator`) in the deployment
 * templates, structurally: in every Deployment of a Kubernetes manifest or patch, and in every
 * container group of an ARM template. Comments that mention IMAGE_PLACEHOLDER stay untouched.
 */
import { parseAllDocuments, type Document } from 'yaml';
import type { DeployTarget } from './deploy-render.ts';

export const OPERATOR_CONTAINER = 'uid2-operator';

/**
 * How edited manifests are written back: long values (an embedded policy) stay on one line, as
 * kubectl and the guide's sed steps expect, and flow sequences keep the templates' `["x"]` form.
 */
export const YAML_OUTPUT = { lineWidth: 0, flowCollectionPadding: false } as const;

export class OperatorImageError extends Error {
  override readonly name = 'OperatorImageError';
}

interface YamlMap {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

function manifestContainers(docs: Document.Parsed[]): YamlMap[] {
  const found: YamlMap[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new OperatorImageError(`the manifest is not valid YAML: ${doc.errors[0].message}`);
    const containers = doc.getIn(['spec', 'template', 'spec', 'containers']) as { items?: YamlMap[] } | undefined;
    found.push(...(containers?.items ?? []).filter((c) => typeof c?.get === 'function' && c.get('name') === OPERATOR_CONTAINER));
  }
  if (found.length === 0) throw new OperatorImageError(`the manifest has no ${OPERATOR_CONTAINER} container`);
  return found;
}

interface ArmTemplate {
  resources?: Array<{ properties?: { containers?: Array<{ name?: string; properties?: { image?: string } }> } }>;
}

function armContainers(arm: ArmTemplate): Array<{ properties?: { image?: string } }> {
  const found = (arm.resources ?? []).flatMap((r) => r.properties?.containers ?? []).filter((c) => c.name === OPERATOR_CONTAINER);
  if (found.length === 0) throw new OperatorImageError(`the ARM template has no ${OPERATOR_CONTAINER} container`);
  return found;
}

function parseArm(template: string): ArmTemplate {
  try {
    return JSON.parse(template) as ArmTemplate;
  } catch {
    throw new OperatorImageError('the ARM template is not valid JSON');
  }
}

/** The operator container's image in every place the template names it (usually one). */
export function operatorImages(target: DeployTarget, template: string): string[] {
  if (target === 'aci') return armContainers(parseArm(template)).map((c) => String(c.properties?.image ?? ''));
  return manifestContainers(parseAllDocuments(template)).map((c) => String(c.get('image') ?? ''));
}

export function setOperatorImage(target: DeployTarget, template: string, image: string): string {
  if (target === 'aci') {
    const arm = parseArm(template);
    for (const c of armContainers(arm)) c.properties = { ...c.properties, image };
    return `${JSON.stringify(arm, null, 2)}\n`;
  }
  const docs = parseAllDocuments(template);
  for (const c of manifestContainers(docs)) c.set('image', image);
  return docs.map((d) => d.toString(YAML_OUTPUT)).join('');
}
