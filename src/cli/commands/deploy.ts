/**
 * `uid2 deploy render --target aks|aci`: fills the placeholders of the Azure deployment artifacts
 * from flags or environment variables (the names the AKS operator guide exports), like its
 * `sed -i "s#X_PLACEHOLDER#...#g"` steps, and refuses to leave one unfilled (spec
 * attestation-azure.md §3.2, §3.3; docs/deployment-guide.md).
 *
 *   uid2 deploy render --target aks --identity "$MANAGED_IDENTITY_ID" --vault "$KEYVAULT_NAME" \
 *     --secret "$KEYVAULT_SECRET_NAME" --environment integ --image REPO:TAG --cce-policy policy.b64
 *
 * The template defaults to deploy/aks/operator.yaml or deploy/aci/operator.json; --in takes another
 * (for example `kubectl kustomize deploy/kustomize/overlays/aks-virtual-nodes` output, "-" = stdin).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import {
  DEPLOY_VALUES,
  DeployRenderError,
  ccePolicyDigest,
  renderDeployment,
  type DeployTarget,
  type DeployValueName,
  type DeployValues,
} from '../../azure/deploy-render.ts';

export const DEFAULT_TEMPLATES: Record<DeployTarget, string> = {
  aks: fileURLToPath(new URL('../../../deploy/aks/operator.yaml', import.meta.url)),
  aci: fileURLToPath(new URL('../../../deploy/aci/operator.json', import.meta.url)),
};

interface RenderOptions {
  target: string;
  in?: string;
  out?: string;
  identity?: string;
  vault?: string;
  secret?: string;
  environment?: string;
  image?: string;
  ccePolicy?: string;
}

/** Prints a one-line error (no stack trace) and sets a failing exit status. */
export function failCommand(command: string, err: unknown): void {
  const message = err instanceof DeployRenderError ? err.message : err instanceof Error ? err.message : 'unexpected error';
  process.stderr.write(`uid2 ${command}: ${message}\n`);
  process.exitCode = 1;
}

function collectValues(opts: RenderOptions): DeployValues {
  const values: DeployValues = {};
  for (const name of Object.keys(DEPLOY_VALUES) as DeployValueName[]) {
    const fromFlag = opts[name];
    const value = fromFlag ?? process.env[DEPLOY_VALUES[name].env];
    if (value !== undefined && value !== '') values[name] = value;
  }
  // --cce-policy names a file; its content is the value.
  if (values.ccePolicy !== undefined) values.ccePolicy = readFileSync(values.ccePolicy, 'utf8').trim();
  return values;
}

function render(opts: RenderOptions): void {
  if (opts.target !== 'aks' && opts.target !== 'aci') throw new DeployRenderError('--target must be "aks" or "aci"');
  const target: DeployTarget = opts.target;
  const template = readFileSync(opts.in === undefined ? DEFAULT_TEMPLATES[target] : opts.in === '-' ? 0 : opts.in, 'utf8');
  const values = collectValues(opts);
  const output = renderDeployment(target, template, values);
  if (opts.out) writeFileSync(opts.out, output);
  else process.stdout.write(output);
  if (values.ccePolicy) process.stderr.write(`policy digest (azure-cc enclave id): ${ccePolicyDigest(values.ccePolicy)}\n`);
}

/** The `deploy` group; deploy-policy.ts adds its subcommand to the same group. */
export function deployCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'deploy') ?? program.command('deploy').description('Azure deployment artifacts (AKS virtual nodes, ACI)');
}

export function register(program: Command): void {
  const deploy = deployCommand(program);
  const cmd = deploy
    .command('render')
    .description('fill the placeholders of deploy/aks/operator.yaml or deploy/aci/operator.json')
    .requiredOption('--target <target>', 'aks | aci')
    .option('--in <file>', 'template to render instead of the default ("-" = stdin)')
    .option('--out <file>', 'write the result here instead of stdout');
  for (const name of Object.keys(DEPLOY_VALUES) as DeployValueName[]) {
    const spec = DEPLOY_VALUES[name];
    cmd.option(`${spec.flag} <value>`, `${spec.hint} (env ${spec.env})`);
  }
  cmd.action((opts: RenderOptions) => {
    try {
      render(opts);
    } catch (err) {
      failCommand('deploy render', err);
    }
  });
}
