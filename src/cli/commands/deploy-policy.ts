/**
 * `uid2 deploy policy --target aks|aci [--in TEMPLATE] [--image REF] [--policy FILE [--rego]]
 * [--out FILE] [--enclave-id-out FILE]`: the policy step of a release (src/azure/cce-policy.ts).
 *
 * With --policy (what `az confcom acipolicygen --print-policy` printed for this template), it
 * applies upstream's edits, embeds the base64 policy in the template, writes it, and prints the
 * enclave id to register with Core. Without --policy it prints the exact `az confcom` invocation
 * for the template (writing it first to --out when --image fills the image), and the command to
 * run next.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { acipolicygenCommand, embedPolicy, preparePolicy, shellQuote } from '../../azure/cce-policy.ts';
import { DEPLOY_VALUES, DeployRenderError, type DeployTarget } from '../../azure/deploy-render.ts';
import { operatorImages, setOperatorImage } from '../../azure/operator-image.ts';
import { DEFAULT_TEMPLATES, deployCommand, failCommand } from './deploy.ts';
import { readPolicyFile } from './release.ts';

interface PolicyOptions {
  target: string;
  in?: string;
  image?: string;
  policy?: string;
  rego?: boolean;
  out?: string;
  enclaveIdOut?: string;
}

function targetOf(value: string): DeployTarget {
  if (value !== 'aks' && value !== 'aci') throw new DeployRenderError('--target must be "aks" or "aci"');
  return value;
}

/** The template with --image applied; refuses one whose operator image is still a placeholder. */
function loadTemplate(target: DeployTarget, opts: PolicyOptions): string {
  let template = readFileSync(opts.in ?? DEFAULT_TEMPLATES[target], 'utf8');
  if (opts.image !== undefined) {
    if (!DEPLOY_VALUES.image.pattern.test(opts.image)) throw new DeployRenderError(`--image: invalid value; expected ${DEPLOY_VALUES.image.hint}`);
    template = setOperatorImage(target, template, opts.image);
  }
  if (operatorImages(target, template).some((image) => image.includes('PLACEHOLDER'))) {
    throw new DeployRenderError('the operator image is still IMAGE_PLACEHOLDER: the policy pins the image, so pass --image (with --out, the file az confcom reads)');
  }
  return template;
}

/** No policy yet: the commands that make one for this template. */
function printInstructions(target: DeployTarget, template: string, opts: PolicyOptions): void {
  let file = opts.in ?? DEFAULT_TEMPLATES[target];
  if (opts.image !== undefined) {
    if (opts.out === undefined) throw new DeployRenderError('--image without --policy needs --out: the template az confcom reads');
    writeFileSync(opts.out, template);
    file = opts.out;
  }
  const next = ['uid2', 'deploy', 'policy', '--target', target, '--in', file, '--policy', 'policy.b64', '--out', file].map(shellQuote).join(' ');
  process.stdout.write(
    [
      '# 1. generate the policy (Azure CLI with the confcom extension, and docker):',
      acipolicygenCommand(target, file),
      '# 2. apply the release edits, embed the policy and print the enclave id:',
      next,
      '',
    ].join('\n'),
  );
}

function run(opts: PolicyOptions): void {
  const target = targetOf(opts.target);
  const template = loadTemplate(target, opts);
  if (opts.policy === undefined) {
    printInstructions(target, template, opts);
    return;
  }
  const policy = preparePolicy(target, readPolicyFile(opts.policy, opts.rego === true));
  const output = embedPolicy(target, template, policy.base64);
  if (opts.out) writeFileSync(opts.out, output);
  else process.stdout.write(output);
  if (opts.enclaveIdOut) writeFileSync(opts.enclaveIdOut, `${policy.enclaveId}\n`);
  process.stderr.write(`enclave id (register with Core for protocol azure-cc): ${policy.enclaveId}\n`);
}

export function register(program: Command): void {
  deployCommand(program)
    .command('policy')
    .description('apply the release edits to an az confcom policy, embed it in the template and print the enclave id')
    .requiredOption('--target <target>', 'aks | aci')
    .option('--in <file>', 'template (default deploy/aks/operator.yaml or deploy/aci/operator.json)')
    .option('--image <ref>', 'set the operator image first (the policy pins it)')
    .option('--policy <file>', 'what az confcom acipolicygen --print-policy printed for this template (base64; "-" = stdin)')
    .option('--rego', 'the policy file holds plain Rego, not base64')
    .option('--out <file>', 'write the template here instead of stdout')
    .option('--enclave-id-out <file>', 'also write the enclave id to this file')
    .action((opts: PolicyOptions) => {
      try {
        run(opts);
      } catch (err) {
        failCommand('deploy policy', err);
      }
    });
}
