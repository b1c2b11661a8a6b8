/**
 * Fills the placeholders of the Azure deployment artifacts (spec attestation-azure.md §3.2, §3.3),
 * doing what the `sed -i "s#X_PLACEHOLDER#...#g"` steps of the AKS operator guide do, but refusing
 * unsafe values and refusing to leave any placeholder behind.
 *
 * - AKS (deploy/aks/operator.yaml and the kustomize overlays): every value is a placeholder.
 * - ACI (deploy/aci/operator.json): the image and ccePolicy are placeholders; vault, secret,
 *   environment and identity are ARM parameters, whose defaults are set when given. They are
 *   parameters precisely so the policy digest does not depend on them (§2.3).
 *
 * The ccePolicy is the base64 Rego that `az confcom acipolicygen --print-policy` prints; its
 * digest, SHA-256 of the decoded Rego in lowercase hex, is the azure-cc enclave id Core registers
 * (§2.3) and equals the SEV-SNP HOST_DATA.
 */
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import { decodeBase64 } from '../protocol/base64.ts';

export type DeployTarget = 'aks' | 'aci';
export type DeployValueName = 'identity' | 'vault' | 'secret' | 'environment' | 'image' | 'ccePolicy';
export type DeployValues = Partial<Record<DeployValueName, string>>;

export interface DeployValueSpec {
  placeholder: string;
  /** The CLI flag and the environment variable (seed 002 names) that supply it. */
  flag: string;
  env: string;
  pattern: RegExp;
  hint: string;
}

/** Described once: the CLI, the renderer and the docs all read this table. */
export const DEPLOY_VALUES: Record<DeployValueName, DeployValueSpec> = {
  identity: {
    placeholder: 'IDENTITY_PLACEHOLDER',
    flag: '--identity',
    env: 'MANAGED_IDENTITY_ID',
    pattern: /^\/subscriptions\/[0-9a-fA-F-]{36}\/resource[Gg]roups\/[\w.()-]{1,90}\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[\w-]{3,128}$/,
    hint: 'the managed identity resource id (az identity show --query id)',
  },
  vault: {
    placeholder: 'VAULT_NAME_PLACEHOLDER',
    flag: '--vault',
    env: 'KEYVAULT_NAME',
    pattern: /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/,
    hint: 'a Key Vault name (3-24 letters, digits, hyphens)',
  },
  secret: {
    placeholder: 'OPERATOR_KEY_SECRET_NAME_PLACEHOLDER',
    flag: '--secret',
    env: 'KEYVAULT_SECRET_NAME',
    pattern: /^[A-Za-z0-9-]{1,127}$/,
    hint: 'the Key Vault secret name holding the operator key',
  },
  environment: {
    placeholder: 'DEPLOYMENT_ENVIRONMENT_PLACEHOLDER',
    flag: '--environment',
    env: 'DEPLOYMENT_ENV',
    pattern: /^(integ|prod)$/,
    hint: '"integ" or "prod"',
  },
  image: {
    placeholder: 'IMAGE_PLACEHOLDER',
    flag: '--image',
    env: 'OPERATOR_IMAGE',
    pattern: /^[a-z0-9][a-z0-9._\/-]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(@sha256:[0-9a-f]{64})?$/,
    hint: 'a container image reference such as myacr.azurecr.io/uid2-operator:1.0.0-azure-cc',
  },
  ccePolicy: {
    placeholder: 'CCE_POLICY_PLACEHOLDER',
    flag: '--cce-policy',
    env: 'CCE_POLICY_FILE',
    pattern: /^[A-Za-z0-9+/]+={0,2}$/,
    hint: 'a file holding the base64 policy printed by az confcom acipolicygen --print-policy',
  },
};

const ACI_PARAMETERS: Partial<Record<DeployValueName, string>> = {
  identity: 'operatorIdentifier',
  vault: 'vaultName',
  secret: 'operatorKeyName',
  environment: 'deploymentEnvironment',
};
const ACI_PLACEHOLDER_VALUES: DeployValueName[] = ['image', 'ccePolicy'];
const ANY_PLACEHOLDER = /\b[A-Z][A-Z0-9_]*_PLACEHOLDER\b/g;

export class DeployRenderError extends Error {
  override readonly name = 'DeployRenderError';
}

/** Lowercase hex SHA-256 of the Rego text (decoded from base64 unless `isRego`). */
export function ccePolicyDigest(policy: string | Buffer, isRego = false): string {
  const rego = isRego ? Buffer.from(policy) : decodeCcePolicy(policy.toString());
  return createHash('sha256').update(rego).digest('hex');
}

/** Decodes the base64 policy strictly; surrounding whitespace (a trailing newline) is ignored. */
export function decodeCcePolicy(base64: string): Buffer {
  const text = base64.trim();
  let rego: Buffer;
  try {
    rego = decodeBase64(text);
  } catch {
    throw new DeployRenderError('the CCE policy is not valid base64 (expected the output of az confcom acipolicygen --print-policy; use --rego for plain Rego)');
  }
  if (rego.length === 0) throw new DeployRenderError('the CCE policy is empty');
  return rego;
}

function checkValue(name: DeployValueName, value: string): string {
  const spec = DEPLOY_VALUES[name];
  const v = name === 'ccePolicy' ? value.trim() : value;
  if (!spec.pattern.test(v)) throw new DeployRenderError(`${spec.flag}: invalid value; expected ${spec.hint}`);
  if (name === 'ccePolicy') decodeCcePolicy(v);
  return v;
}

function missingMessage(names: DeployValueName[]): string {
  const lines = names.map((n) => `  ${DEPLOY_VALUES[n].placeholder}: pass ${DEPLOY_VALUES[n].flag} or set ${DEPLOY_VALUES[n].env} (${DEPLOY_VALUES[n].hint})`);
  return `refusing to render with unfilled placeholders:\n${lines.join('\n')}`;
}

function placeholderNames(text: string): { known: DeployValueName[]; unknown: string[] } {
  const found = new Set(text.match(ANY_PLACEHOLDER) ?? []);
  const known = (Object.keys(DEPLOY_VALUES) as DeployValueName[]).filter((n) => found.has(DEPLOY_VALUES[n].placeholder));
  const knownPlaceholders = new Set(known.map((n) => DEPLOY_VALUES[n].placeholder));
  return { known, unknown: [...found].filter((p) => !knownPlaceholders.has(p)) };
}

function replacePlaceholders(text: string, values: DeployValues, names: DeployValueName[]): string {
  const { known, unknown } = placeholderNames(text);
  if (unknown.length > 0) throw new DeployRenderError(`template has placeholders this tool does not know: ${unknown.join(', ')}`);
  const relevant = known.filter((n) => names.includes(n));
  const missing = relevant.filter((n) => values[n] === undefined || values[n] === '');
  if (missing.length > 0) throw new DeployRenderError(missingMessage(missing));
  let out = text;
  for (const n of relevant) out = out.split(DEPLOY_VALUES[n].placeholder).join(checkValue(n, values[n] as string));
  return out;
}

/** Renders a Kubernetes manifest (one or more YAML documents) for AKS virtual nodes. */
export function renderAksManifest(template: string, values: DeployValues): string {
  const out = replacePlaceholders(template, values, Object.keys(DEPLOY_VALUES) as DeployValueName[]);
  const docs = parseAllDocuments(out);
  if (docs.some((d) => d.errors.length > 0)) throw new DeployRenderError('rendered manifest is not valid YAML');
  return out;
}

/** Renders the ACI ARM template: placeholders, then defaults of the given ARM parameters. */
export function renderAciTemplate(template: string, values: DeployValues): string {
  const filled = replacePlaceholders(template, values, ACI_PLACEHOLDER_VALUES);
  let arm: { parameters?: Record<string, { defaultValue?: unknown }> };
  try {
    arm = JSON.parse(filled) as typeof arm;
  } catch {
    throw new DeployRenderError('ARM template is not valid JSON');
  }
  for (const [name, parameter] of Object.entries(ACI_PARAMETERS) as Array<[DeployValueName, string]>) {
    const value = values[name];
    if (value === undefined || value === '') continue;
    const slot = arm.parameters?.[parameter];
    if (!slot) throw new DeployRenderError(`ARM template has no parameter ${parameter}`);
    slot.defaultValue = name === 'identity' ? checkIdentityName(value) : checkValue(name, value);
  }
  return `${JSON.stringify(arm, null, 2)}\n`;
}

/** operator.json resolves the identity in its own resource group (vault.json creates it there). */
function checkIdentityName(value: string): string {
  if (!/^[A-Za-z0-9][\w-]{2,127}$/.test(value)) {
    throw new DeployRenderError('--identity: for --target aci pass the managed identity name (vault.json creates it in the same resource group)');
  }
  return value;
}

export function renderDeployment(target: DeployTarget, template: string, values: DeployValues): string {
  return target === 'aks' ? renderAksManifest(template, values) : renderAciTemplate(template, values);
}
