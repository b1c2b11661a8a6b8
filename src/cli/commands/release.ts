/**
 * `uid2 release --version V --image REPO@sha256:DIGEST --out DIR [--aks-policy FILE]
 * [--aci-policy FILE] [--rego]`: writes the versioned deployment packages, the enclave ids, the
 * SBOM and SHA256SUMS into DIR (src/azure/release/release-package.ts; docs/deployment-guide.md
 * "Release packages"). The policies are what `az confcom acipolicygen --print-policy` printed
 * for the released operator.yaml / operator.json (base64; plain Rego with --rego); upstream's
 * edits are applied here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { decodeCcePolicy } from '../../azure/deploy-render.ts';
import { buildRelease, writeRelease } from '../../azure/release/release-package.ts';
import { generateSbom } from '../../azure/release/sbom.ts';
import { failCommand } from './deploy.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY_DIR = fileURLToPath(new URL('../../../deploy/', import.meta.url));

interface ReleaseOptions {
  version: string;
  image: string;
  out: string;
  aksPolicy?: string;
  aciPolicy?: string;
  rego?: boolean;
}

/** The decoded Rego in a policy file: base64 as acipolicygen prints it, or plain with --rego. */
export function readPolicyFile(file: string, isRego: boolean): string {
  const text = readFileSync(file === '-' ? 0 : file);
  return isRego ? text.toString('utf8') : decodeCcePolicy(text.toString('utf8')).toString('utf8');
}

function release(opts: ReleaseOptions): void {
  const artifacts = buildRelease({
    version: opts.version,
    image: opts.image,
    deployDir: DEPLOY_DIR,
    aksPolicyRego: opts.aksPolicy === undefined ? undefined : readPolicyFile(opts.aksPolicy, opts.rego === true),
    aciPolicyRego: opts.aciPolicy === undefined ? undefined : readPolicyFile(opts.aciPolicy, opts.rego === true),
    sbom: (r) => generateSbom(REPO_ROOT, r),
  });
  for (const name of writeRelease(opts.out, artifacts)) process.stdout.write(`${name}\n`);
  if (opts.aksPolicy === undefined || opts.aciPolicy === undefined) {
    process.stderr.write('note: without --aks-policy and --aci-policy the templates keep CCE_POLICY_PLACEHOLDER and no enclave id is written\n');
  }
}

export function register(program: Command): void {
  program
    .command('release')
    .description('write the versioned deployment packages (AKS, ACI, SGX ZIPs), enclave ids, SBOM and SHA256SUMS')
    .requiredOption('--version <version>', 'release version, e.g. 1.2.3')
    .requiredOption('--image <ref>', 'operator image by digest: REPO@sha256:<64 hex> (a tag is refused)')
    .requiredOption('--out <dir>', 'directory to write into (created if missing)')
    .option('--aks-policy <file>', 'policy az confcom acipolicygen printed for the released operator.yaml (base64)')
    .option('--aci-policy <file>', 'policy az confcom acipolicygen printed for the released operator.json (base64)')
    .option('--rego', 'the policy files hold plain Rego, not base64')
    .action((opts: ReleaseOptions) => {
      try {
        release(opts);
      } catch (err) {
        failCommand('release', err);
      }
    });
}
