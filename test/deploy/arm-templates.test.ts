/** deploy/aci ARM templates: valid JSON with the resources and parameters of spec §3.2. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const load = (name: string): any => JSON.parse(readFileSync(join(repoRoot, 'deploy/aci', name), 'utf8'));
const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

/** Every `parameters('x')` an expression uses must be declared. */
function assertParametersDeclared(template: { parameters: Record<string, unknown> }): void {
  const used = new Set([...JSON.stringify(template).matchAll(/parameters\('([A-Za-z]+)'\)/g)].map((m) => m[1]));
  for (const name of used) assert.ok(name in template.parameters, `parameter ${name} is used but not declared`);
}

test('operator.json: confidential container groups with the operator and SKR containers', () => {
  const arm = load('operator.json');
  assert.equal(arm.$schema, SCHEMA);
  assertParametersDeclared(arm);
  for (const p of ['vaultName', 'operatorKeyName', 'deploymentEnvironment', 'operatorIdentifier', 'count', 'computeSubnetName']) {
    assert.ok(arm.parameters[p], `parameter ${p}`);
  }
  assert.deepEqual(arm.parameters.deploymentEnvironment.allowedValues, ['integ', 'prod']);
  assert.equal(arm.parameters.operatorIdentifier.defaultValue, 'uid-operator');
  assert.equal(arm.parameters.operatorKeyName.defaultValue, 'operator-key');
  assert.equal(arm.parameters.count.defaultValue, 2);

  const [group] = arm.resources;
  assert.equal(group.type, 'Microsoft.ContainerInstance/containerGroups');
  assert.equal(group.apiVersion, '2023-05-01');
  assert.equal(group.identity.type, 'UserAssigned');
  assert.equal(group.properties.sku, 'Confidential');
  assert.equal(group.properties.osType, 'Linux');
  assert.equal(group.properties.restartPolicy, 'Never');
  assert.equal(group.properties.confidentialComputeProperties.ccePolicy, 'CCE_POLICY_PLACEHOLDER');

  const byName = Object.fromEntries(group.properties.containers.map((c: { name: string }) => [c.name, c]));
  const op = byName['uid2-operator'].properties;
  assert.equal(op.image, 'IMAGE_PLACEHOLDER');
  assert.deepEqual(op.ports.map((p: { port: number }) => p.port), [8080, 9080]);
  assert.deepEqual(op.resources.requests, { cpu: 6, memoryInGB: 24 });
  const env = Object.fromEntries(op.environmentVariables.map((e: { name: string; value: string }) => [e.name, e.value]));
  assert.equal(env.VAULT_NAME, "[parameters('vaultName')]");
  assert.equal(env.OPERATOR_KEY_SECRET_NAME, "[parameters('operatorKeyName')]");
  assert.equal(env.DEPLOYMENT_ENVIRONMENT, "[parameters('deploymentEnvironment')]");
  const skr = byName.skr.properties;
  assert.equal(skr.image, 'mcr.microsoft.com/aci/skr:2.14');
  assert.deepEqual(skr.command, ['/skr.sh']);
  assert.deepEqual(skr.environmentVariables, [{ name: 'Port', value: '9000' }]);
  assert.equal(arm.outputs.ipAddresses.type, 'array');
});

test('vault.json: managed identity, Key Vault with a get/list access policy, and the secret', () => {
  const arm = load('vault.json');
  assert.equal(arm.$schema, SCHEMA);
  assertParametersDeclared(arm);
  assert.equal(arm.parameters.operatorKeyValue.type, 'securestring');
  assert.equal(arm.parameters.operatorKeyValue.defaultValue, undefined);
  const types = arm.resources.map((r: { type: string }) => r.type);
  assert.deepEqual(types, ['Microsoft.ManagedIdentity/userAssignedIdentities', 'Microsoft.KeyVault/vaults', 'Microsoft.KeyVault/vaults/secrets']);
  const vault = arm.resources[1];
  assert.equal(vault.properties.enableRbacAuthorization, false);
  assert.deepEqual(vault.properties.accessPolicies[0].permissions.secrets, ['get', 'list']);
  assert.match(vault.properties.accessPolicies[0].objectId, /principalId/);
});
