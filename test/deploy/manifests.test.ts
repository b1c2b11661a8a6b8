/**
 * Every Kubernetes manifest validates against the Kubernetes OpenAPI schemas, and carries what
 * spec attestation-azure.md §3.3 (AKS virtual nodes) and §3.4 (SGX node pool) require.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';
import { findObject, kubectlPath, kustomize, parseManifest, validateObjects, type KubeObject } from './support/kubernetes-schema.ts';

const aksManifest = parseManifest(readFileSync(join(repoRoot, 'deploy/aks/operator.yaml'), 'utf8'));
const OVERLAYS = ['aks-virtual-nodes', 'sgx-node-pool', 'integ'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function container(deployment: KubeObject, name: string): any {
  const c = deployment.spec.template.spec.containers.find((x: { name: string }) => x.name === name);
  assert.ok(c, `container ${name}`);
  return c;
}

/** The virtual-node layout of §3.3, shared by deploy/aks/operator.yaml and the overlay. */
function assertVirtualNodeLayout(objects: KubeObject[]): void {
  const deployment = findObject(objects, 'Deployment', 'operator-deployment');
  const pod = deployment.spec.template;
  assert.equal(pod.metadata.annotations['microsoft.containerinstance.virtualnode.ccepolicy'], 'CCE_POLICY_PLACEHOLDER');
  assert.equal(pod.metadata.annotations['microsoft.containerinstance.virtualnode.identity'], 'IDENTITY_PLACEHOLDER');
  assert.equal(pod.metadata.annotations['microsoft.containerinstance.virtualnode.injectdns'], 'false');
  assert.deepEqual(pod.spec.nodeSelector, { virtualization: 'virtualnode2' });
  assert.deepEqual(pod.spec.tolerations, [{ effect: 'NoSchedule', key: 'virtual-kubelet.io/provider', operator: 'Exists' }]);

  const skr = container(deployment, 'skr');
  assert.equal(skr.image, 'mcr.microsoft.com/aci/skr:2.14');
  assert.deepEqual(skr.command, ['/skr.sh']);
  assert.deepEqual(skr.env, [{ name: 'Port', value: '9000' }]);
  const mount = '/opt/confidential-containers/share/kata-containers/reference-info-base64';
  assert.equal(skr.volumeMounts[0].mountPath, mount);
  assert.equal(pod.spec.volumes.find((v: { name: string }) => v.name === skr.volumeMounts[0].name).hostPath.path, mount);

  const op = container(deployment, 'uid2-operator');
  assert.equal(op.image, 'IMAGE_PLACEHOLDER');
  assert.equal(op.securityContext.runAsUser, 1000);
  assert.deepEqual(
    Object.fromEntries(op.env.map((e: { name: string; value: string }) => [e.name, e.value])),
    {
      VAULT_NAME: 'VAULT_NAME_PLACEHOLDER',
      OPERATOR_KEY_SECRET_NAME: 'OPERATOR_KEY_SECRET_NAME_PLACEHOLDER',
      DEPLOYMENT_ENVIRONMENT: 'DEPLOYMENT_ENVIRONMENT_PLACEHOLDER',
      shutdown_drain_ms: '5000',
    },
  );
  assert.deepEqual(op.ports.map((p: { containerPort: number }) => p.containerPort).sort(), [8080, 9080]);
  assert.equal(op.ports.find((p: { containerPort: number }) => p.containerPort === 9080).name, 'prometheus');
  assert.equal(op.readinessProbe.httpGet.path, '/ops/healthcheck');
  assert.equal(op.readinessProbe.httpGet.port, 8080);
  assert.deepEqual(op.resources.limits, { cpu: '6', memory: '24Gi' });

  const svc = findObject(objects, 'Service', 'operator-svc');
  assert.equal(svc.spec.type, 'LoadBalancer');
  assert.ok(svc.spec.ports.some((p: { port: number; targetPort: number }) => p.port === 80 && p.targetPort === 8080));
}

test('deploy/aks/operator.yaml validates and follows spec §3.3', () => {
  validateObjects(aksManifest);
  assert.deepEqual(aksManifest.map((o) => o.kind), ['Deployment', 'Service']);
  assertVirtualNodeLayout(aksManifest);
  assert.equal(findObject(aksManifest, 'Deployment', 'operator-deployment').spec.replicas, 3);
});

test('the schema check catches a wrongly typed field', () => {
  const broken = structuredClone(aksManifest);
  broken[0].spec.replicas = 'three';
  assert.throws(() => validateObjects(broken), /replicas/);
});

for (const overlay of OVERLAYS) {
  test(`kubectl kustomize overlays/${overlay} validates, with HPA, PDB, probes and metrics port`, (t) => {
    if (!kubectlPath) {
      t.skip('kubectl is not installed');
      return;
    }
    const objects = parseManifest(kustomize(`deploy/kustomize/overlays/${overlay}`));
    validateObjects(objects);
    const deployment = findObject(objects, 'Deployment', 'operator-deployment');
    const op = container(deployment, 'uid2-operator');
    assert.equal(op.readinessProbe.httpGet.path, '/ops/healthcheck');
    assert.ok(op.livenessProbe, 'liveness probe');
    assert.ok(op.ports.some((p: { name?: string; containerPort: number }) => p.name === 'prometheus' && p.containerPort === 9080));
    const hpa = findObject(objects, 'HorizontalPodAutoscaler', 'operator-hpa');
    assert.equal(hpa.spec.scaleTargetRef.name, 'operator-deployment');
    const pdb = findObject(objects, 'PodDisruptionBudget', 'operator-pdb');
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    findObject(objects, 'Service', 'operator-metrics');
    if (overlay === 'aks-virtual-nodes') assertVirtualNodeLayout(objects);
    if (overlay === 'sgx-node-pool') {
      assert.equal(op.resources.limits['kubernetes.azure.com/sgx_epc_mem_in_MiB'], 160);
      assert.match(op.image, /occlum/);
      const envNames = op.env.map((e: { name: string; valueFrom: { secretKeyRef: { name: string } } }) => [e.name, e.valueFrom.secretKeyRef.name]);
      assert.deepEqual(envNames, [['core_api_token', 'uid2-operator-secret'], ['optout_api_token', 'uid2-operator-secret']]);
    }
    if (overlay === 'integ') {
      const env = findObject(objects, 'ConfigMap', op.envFrom[0].configMapRef.name);
      assert.equal(env.data.DEPLOYMENT_ENVIRONMENT, 'integ');
      assert.equal(deployment.spec.template.metadata.annotations['microsoft.containerinstance.virtualnode.ccepolicy'], undefined);
    }
  });
}
