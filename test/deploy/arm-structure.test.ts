/**
 * Structural checks of every ARM template in deploy/aci and its parameters file (issue 18; no
 * Azure needed): parameters and variables declared exactly when used, resource types and API
 * versions from a checked list, parameter files naming only declared parameters with values of
 * the declared type, the same names given the same values across files, and every template
 * output the guides query present in that template.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ARM_TEMPLATES } from '../../src/azure/release/release-files.ts';
import { repoRoot } from '../support/shared.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const load = (name: string): Json => JSON.parse(readFileSync(join(repoRoot, 'deploy/aci', name), 'utf8'));
const TEMPLATE_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
const PARAMETERS_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#';

/** Resource types the templates may create, each with the API version checked against Azure's docs. */
const API_VERSIONS: Record<string, string> = {
  'Microsoft.ContainerInstance/containerGroups': '2023-05-01',
  'Microsoft.ManagedIdentity/userAssignedIdentities': '2023-01-31',
  'Microsoft.KeyVault/vaults': '2023-07-01',
  'Microsoft.KeyVault/vaults/secrets': '2023-07-01',
  'Microsoft.Network/publicIPAddresses': '2023-04-01',
  'Microsoft.Network/natGateways': '2023-04-01',
  'Microsoft.Network/virtualNetworks': '2023-04-01',
  'Microsoft.Network/applicationGateways': '2023-04-01',
};

const used = (template: Json, fn: string) => new Set([...JSON.stringify(template).matchAll(new RegExp(`${fn}\\('([A-Za-z0-9_]+)'\\)`, 'g'))].map((m) => m[1]));

function declaredVariables(template: Json): Set<string> {
  const vars = template.variables ?? {};
  const copies = (vars.copy ?? []).map((c: { name: string }) => c.name);
  return new Set([...Object.keys(vars).filter((k) => k !== 'copy'), ...copies]);
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return Number.isSafeInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return false; // securestring/secureobject never belong in a parameters file
  }
}

for (const name of ARM_TEMPLATES) {
  const template = load(`${name}.json`);
  const parameters = load(`${name}.parameters.json`);

  test(`${name}.json: schema, parameters and variables declared exactly when used`, () => {
    assert.equal(template.$schema, TEMPLATE_SCHEMA);
    assert.equal(template.contentVersion, '1.0.0.0');
    assert.deepEqual([...used(template, 'parameters')].sort(), Object.keys(template.parameters).sort());
    assert.deepEqual([...used(template, 'variables')].sort(), [...declaredVariables(template)].sort());
  });

  test(`${name}.json: resource types and API versions from the checked list`, () => {
    assert.ok(template.resources.length > 0);
    for (const r of template.resources) {
      assert.ok(r.type in API_VERSIONS, `unchecked resource type ${r.type}`);
      assert.equal(r.apiVersion, API_VERSIONS[r.type], r.type);
    }
    // resourceId() references name listed types or their child types (subnets, gateway parts).
    for (const m of JSON.stringify(template).matchAll(/resourceId\('([^']+)'/g)) {
      assert.ok(Object.keys(API_VERSIONS).some((t) => m[1] === t || m[1].startsWith(`${t}/`)), `resourceId of unchecked type ${m[1]}`);
    }
  });

  test(`${name}.parameters.json names only declared parameters, with values of the declared type`, () => {
    assert.equal(parameters.$schema, PARAMETERS_SCHEMA);
    assert.equal(parameters.contentVersion, '1.0.0.0');
    for (const [p, { value }] of Object.entries<{ value: unknown }>(parameters.parameters)) {
      const declared = template.parameters[p];
      assert.ok(declared, `${p} is not declared in ${name}.json`);
      assert.ok(typeMatches(declared.type, value), `${p}: ${JSON.stringify(value)} is not a ${declared.type}`);
      if (declared.allowedValues) assert.ok(declared.allowedValues.includes(value), `${p}: ${JSON.stringify(value)} not allowed`);
      if (declared.minValue !== undefined) assert.ok((value as number) >= declared.minValue, p);
      if (declared.maxValue !== undefined) assert.ok((value as number) <= declared.maxValue, p);
    }
    // A parameter without a default is in the file, unless it is a secret given on the command line.
    for (const [p, declared] of Object.entries<{ type: string; defaultValue?: unknown }>(template.parameters)) {
      if (declared.defaultValue === undefined && declared.type !== 'securestring') assert.ok(p in parameters.parameters, `required ${p} missing`);
    }
  });
}

test('the parameters files agree on shared names (VNet, subnets, identity, vault, secret)', () => {
  const seen = new Map<string, { file: string; value: unknown }>();
  for (const name of ARM_TEMPLATES) {
    for (const [p, { value }] of Object.entries<{ value: unknown }>(load(`${name}.parameters.json`).parameters)) {
      const first = seen.get(p);
      if (first) assert.deepEqual(value, first.value, `${p} in ${name}.parameters.json differs from ${first.file}`);
      else seen.set(p, { file: `${name}.parameters.json`, value });
    }
  }
  for (const shared of ['vnetName', 'computeSubnetName', 'gatewaySubnetName', 'operatorIdentifier', 'vaultName', 'operatorKeyName']) assert.ok(seen.has(shared), shared);
});

test('vnet.json: the container-group delegation and the NAT gateway on the compute subnet', () => {
  const vnet = load('vnet.json');
  const network = vnet.resources.find((r: { type: string }) => r.type === 'Microsoft.Network/virtualNetworks');
  const compute = network.properties.subnets.find((s: { name: string }) => s.name === "[parameters('computeSubnetName')]");
  assert.equal(compute.properties.delegations[0].properties.serviceName, 'Microsoft.ContainerInstance/containerGroups');
  assert.match(compute.properties.natGateway.id, /natGateways/);
  const nat = vnet.resources.find((r: { type: string }) => r.type === 'Microsoft.Network/natGateways');
  assert.match(nat.properties.publicIpAddresses[0].id, /publicIPAddresses/);
});

test('gateway.json: port 80 to the operators\' 8080, health probe on /ops/healthcheck, draining on', () => {
  const gateway = load('gateway.json').resources.find((r: { type: string }) => r.type === 'Microsoft.Network/applicationGateways').properties;
  assert.deepEqual(gateway.frontendPorts.map((p: { properties: { port: number } }) => p.properties.port), [80]);
  const settings = gateway.backendHttpSettingsCollection[0].properties;
  assert.equal(settings.port, 8080);
  assert.equal(settings.connectionDraining.enabled, true);
  assert.match(settings.probe.id, /probes\/operator-health/);
  const probe = gateway.probes.find((p: { name: string }) => p.name === 'operator-health').properties;
  assert.equal(probe.path, '/ops/healthcheck');
  assert.deepEqual(probe.match.statusCodes, ['200']);
});

/** `az deployment group create --template-file X ... outputs.NAME` in the guides' code blocks. */
function queriedOutputs(markdown: string): Array<{ template: string; output: string }> {
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1].replace(/\\\n\s*/g, ' '));
  const found: Array<{ template: string; output: string }> = [];
  for (const line of blocks.flatMap((b) => b.split('\n'))) {
    const file = /--template-file\s+(\S+)/.exec(line)?.[1];
    if (!file) continue;
    for (const m of line.matchAll(/outputs\.([A-Za-z0-9_]+)/g)) found.push({ template: basename(file).replace('.rendered', ''), output: m[1] });
  }
  return found;
}

test('every template output the guides query exists in that template', () => {
  const docs = ['docs/deployment-guide.md', 'docs/ja/deployment-guide.md', 'deploy/release/README.md', 'deploy/release/README.ja.md'];
  const queries = docs.flatMap((d) => queriedOutputs(readFileSync(join(repoRoot, d), 'utf8')));
  assert.ok(new Set(queries.map((q) => q.template)).size >= 3, `the guides query outputs of vnet, operator and gateway: ${JSON.stringify(queries)}`);
  for (const q of queries) assert.ok(load(q.template).outputs?.[q.output], `${q.template} has no output ${q.output}`);
});
