/**
 * The policy step of a release as code (spec attestation-azure.md §2.3, §3.2, §3.3; upstream
 * `generate-deployment-artifacts.sh` for azure-cc and azure-aks):
 *
 * 1. `az confcom acipolicygen ... --print-policy` prints the base64 Rego of the template
 *    (`acipolicygenCommand` gives the exact invocation; this tool cannot run confcom itself).
 * 2. `editPolicy` applies upstream's edits to the decoded Rego:
 *    - ACI: `allow_environment_variable_dropping := true` becomes `false`;
 *    - AKS: the env rules of VAULT_NAME, OPERATOR_KEY_SECRET_NAME and DEPLOYMENT_ENVIRONMENT,
 *      `{"pattern":"X=X_PLACEHOLDER","required":false,"strategy":"string"}`, become
 *      `{"pattern":"X=.+","required":false,"strategy":"re2"}`, so each customer's values pass.
 *    Each edited rule must occur exactly once: a missing rule means the policy is not the one
 *    this template generates (or was already edited), a repeated one that the edit is ambiguous.
 * 3. `embedPolicy` puts the re-encoded Rego into the template: the ccePolicy of every container
 *    group (ARM) or the `microsoft.containerinstance.virtualnode.ccepolicy` pod annotation (AKS).
 * 4. The enclave id is the SHA-256 of the edited Rego (`ccePolicyDigest`).
 */
import { parseAllDocuments } from 'yaml';
import { ccePolicyDigest, type DeployTarget } from './deploy-render.ts';
import { YAML_OUTPUT } from './operator-image.ts';

export class CcePolicyError extends Error {
  override readonly name = 'CcePolicyError';
}

export const CCE_POLICY_ANNOTATION = 'microsoft.containerinstance.virtualnode.ccepolicy';
const CONTAINER_GROUP_TYPE = 'Microsoft.ContainerInstance/containerGroups';

/** One upstream edit, described as data. */
interface RegoEdit {
  readonly rule: string;
  /** Matches the generated rule, tolerating whitespace `az` may put between tokens. */
  readonly generated: RegExp;
  readonly edited: string;
  /** Matches the rule once edited, to tell "already edited" from "missing". */
  readonly alreadyEdited: RegExp;
}

/** Environment variables a customer sets after the policy is fixed (upstream's AKS script). */
export const AKS_WIDENED_ENV = ['VAULT_NAME', 'OPERATOR_KEY_SECRET_NAME', 'DEPLOYMENT_ENVIRONMENT'] as const;

function envRuleEdit(name: string): RegoEdit {
  const t = (token: string) => `\\s*${token}\\s*`;
  return {
    rule: `env rule ${name}=${name}_PLACEHOLDER`,
    generated: new RegExp(`\\{${t(`"pattern"`)}:${t(`"${name}=${name}_PLACEHOLDER"`)},${t(`"required"`)}:${t('false')},${t(`"strategy"`)}:${t(`"string"`)}\\}`, 'g'),
    edited: `{"pattern":"${name}=.+","required":false,"strategy":"re2"}`,
    alreadyEdited: new RegExp(`"pattern"\\s*:\\s*"${name}=\\.\\+"`),
  };
}

const EDITS: Record<DeployTarget, readonly RegoEdit[]> = {
  aci: [
    {
      rule: 'allow_environment_variable_dropping := true',
      generated: /\ballow_environment_variable_dropping\s*:=\s*true\b/g,
      edited: 'allow_environment_variable_dropping := false',
      alreadyEdited: /\ballow_environment_variable_dropping\s*:=\s*false\b/,
    },
  ],
  aks: AKS_WIDENED_ENV.map(envRuleEdit),
};

/** Applies upstream's edits for `target`; refuses a rule that is missing or present twice. */
export function editPolicy(target: DeployTarget, rego: string): string {
  let out = rego;
  for (const edit of EDITS[target]) {
    const count = out.match(edit.generated)?.length ?? 0;
    if (count === 0 && edit.alreadyEdited.test(out)) {
      throw new CcePolicyError(`the policy is already edited (${edit.rule} was changed): pass the policy exactly as az confcom acipolicygen printed it`);
    }
    if (count === 0) throw new CcePolicyError(`the policy has no ${edit.rule}: is it the ${target} policy generated from this release's template?`);
    if (count > 1) throw new CcePolicyError(`the policy has ${edit.rule} ${count} times; refusing an ambiguous edit`);
    out = out.replace(edit.generated, edit.edited);
  }
  return out;
}

export interface EditedPolicy {
  /** The edited Rego text. */
  readonly rego: string;
  /** Base64 of `rego`, what the template carries. */
  readonly base64: string;
  /** SHA-256 hex of `rego`: the azure-cc enclave id Core registers. */
  readonly enclaveId: string;
}

/** Edits the decoded Rego printed by acipolicygen and derives what a release needs from it. */
export function preparePolicy(target: DeployTarget, generatedRego: string): EditedPolicy {
  const rego = editPolicy(target, generatedRego);
  return { rego, base64: Buffer.from(rego, 'utf8').toString('base64'), enclaveId: ccePolicyDigest(rego, true) };
}

interface ArmTemplate {
  resources?: Array<{ type?: string; properties?: { confidentialComputeProperties?: { ccePolicy?: string } } }>;
}

function embedInArm(template: string, base64: string): string {
  let arm: ArmTemplate;
  try {
    arm = JSON.parse(template) as ArmTemplate;
  } catch {
    throw new CcePolicyError('the ARM template is not valid JSON');
  }
  const groups = (arm.resources ?? []).filter((r) => r.type === CONTAINER_GROUP_TYPE);
  if (groups.length === 0) throw new CcePolicyError(`the ARM template has no ${CONTAINER_GROUP_TYPE} resource`);
  for (const group of groups) {
    const confidential = group.properties?.confidentialComputeProperties;
    if (!confidential || typeof confidential.ccePolicy !== 'string') throw new CcePolicyError('a container group has no confidentialComputeProperties.ccePolicy');
    confidential.ccePolicy = base64;
  }
  return `${JSON.stringify(arm, null, 2)}\n`;
}

function embedInManifest(manifest: string, base64: string): string {
  const docs = parseAllDocuments(manifest);
  if (docs.some((d) => d.errors.length > 0)) throw new CcePolicyError('the manifest is not valid YAML');
  const path = ['spec', 'template', 'metadata', 'annotations', CCE_POLICY_ANNOTATION];
  let embedded = 0;
  for (const doc of docs) {
    if (doc.get('kind') !== 'Deployment' || !doc.hasIn(path)) continue;
    doc.setIn(path, base64);
    embedded++;
  }
  if (embedded === 0) throw new CcePolicyError(`the manifest has no Deployment with the ${CCE_POLICY_ANNOTATION} annotation`);
  return docs.map((d) => d.toString(YAML_OUTPUT)).join('');
}

/** Puts the base64 policy into the template, whatever ccePolicy value it held before. */
export function embedPolicy(target: DeployTarget, template: string, base64: string): string {
  return target === 'aci' ? embedInArm(template, base64) : embedInManifest(template, base64);
}

/** Quotes a path for a POSIX shell when it holds anything beyond the usual file-name characters. */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replaceAll("'", "'\\''")}'`;
}

/** The `az confcom acipolicygen` invocation that prints the base64 policy of `templatePath`. */
export function acipolicygenCommand(target: DeployTarget, templatePath: string, output = 'policy.b64'): string {
  const source = target === 'aci' ? `--approve-wildcards --omit-id --template-file ${shellQuote(templatePath)}` : `--omit-id --virtual-node-yaml ${shellQuote(templatePath)}`;
  return `az confcom acipolicygen ${source} --print-policy > ${shellQuote(output)}`;
}
