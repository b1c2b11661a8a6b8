/**
 * Validates Kubernetes objects against the OpenAPI schemas bundled in kubernetes-models, one
 * model class per apiVersion/kind. An object of a kind not listed here fails, so a new kind in a
 * manifest forces a schema to be added.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { repoRoot } from '../../support/shared.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: any };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

export function parseManifest(text: string): KubeObject[] {
  const docs = parseAllDocuments(text);
  for (const d of docs) if (d.errors.length > 0) throw new Error(`YAML error: ${d.errors[0].message}`);
  return docs.map((d) => d.toJSON() as KubeObject).filter((o) => o !== null);
}

/** Throws with the object's kind/name and the schema error when an object is invalid. */
export function validateObjects(objects: KubeObject[]): void {
  for (const obj of objects) {
    const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
    if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
    try {
      new Model(obj).validate();
    } catch (err) {
      throw new Error(`${obj.kind} ${obj.metadata?.name}: ${(err as Error).message}`);
    }
  }
}

export function findObject(objects: KubeObject[], kind: string, name: string): KubeObject {
  const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!obj) throw new Error(`missing ${kind} ${name}`);
  return obj;
}

export const kubectlPath = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));

/** `kubectl kustomize <dir>` output; throws with kubectl's stderr on failure. */
export function kustomize(dir: string): string {
  if (!kubectlPath) throw new Error('kubectl not installed');
  const r = spawnSync(kubectlPath, ['kustomize', dir], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return r.stdout;
}
