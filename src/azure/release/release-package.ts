/**
 * `uid2 release`: the versioned deployment package a private operator downloads (issue 18;
 * upstream's release publishes the same pieces per version, spec attestation-azure.md §2.3, §3):
 *
 * | file                                               | content                               |
 * | uid2-operator-aks-deployment-files-V.zip           | release-files.ts `aksPackage`         |
 * | uid2-operator-azure-cc-deployment-files-V.zip      | release-files.ts `azureCcPackage`     |
 * | uid2-operator-azure-sgx-deployment-files-V.zip     | release-files.ts `sgxPackage`         |
 * | azure-aks-enclave-id-V.txt, azure-cc-enclave-id-V.txt | the enclave id, when a policy is given |
 * | uid2-operator-sbom-V.cdx.json                      | CycloneDX SBOM, production deps       |
 * | SHA256SUMS                                         | `sha256sum -c` format, over all above |
 *
 * The same inputs give byte-identical files: ZIPs from `writeZip` (fixed order and times), a
 * normalized SBOM, sorted checksums.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { preparePolicy, type EditedPolicy } from '../cce-policy.ts';
import { aksPackage, azureCcPackage, sgxPackage, type ReleaseContent } from './release-files.ts';
import { checkVersion, parseImageDigest, ReleaseError } from './release-inputs.ts';
import { writeZip } from './zip-archive.ts';

export interface ReleaseRequest {
  readonly version: string;
  /** `REPO@sha256:…`; a tag is refused. */
  readonly image: string;
  /** The repository's deploy/ directory. */
  readonly deployDir: string;
  /** Decoded Rego as `az confcom acipolicygen` generated it for the released operator.yaml / operator.json. */
  readonly aksPolicyRego?: string;
  readonly aciPolicyRego?: string;
  /** Produces the SBOM for this release (`generateSbom` in the CLI). */
  readonly sbom: (release: { version: string; image: string }) => string;
}

export interface ReleaseArtifact {
  readonly name: string;
  readonly data: Buffer;
}

export const CHECKSUM_FILE = 'SHA256SUMS';

/** Fills `{{TOKEN}}`s of a package README; a token it does not know is an error. */
export function renderReadme(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (token, name: string) => {
    const value = values[name];
    if (value === undefined) throw new ReleaseError(`README template has an unknown token ${token}`);
    return value;
  });
}

function policy(target: 'aks' | 'aci', rego: string | undefined): EditedPolicy | undefined {
  try {
    return rego === undefined ? undefined : preparePolicy(target, rego);
  } catch (err) {
    throw new ReleaseError(`--${target}-policy: ${(err as Error).message}`);
  }
}

/** Every file of the release except SHA256SUMS, in name order. */
export function buildRelease(r: ReleaseRequest): ReleaseArtifact[] {
  const version = checkVersion(r.version);
  const image = parseImageDigest(r.image);
  const content: ReleaseContent = {
    version,
    image,
    deployDir: r.deployDir,
    aksPolicy: policy('aks', r.aksPolicyRego),
    aciPolicy: policy('aci', r.aciPolicyRego),
  };
  const render = (template: string) =>
    renderReadme(template, {
      VERSION: version,
      IMAGE: image.reference,
      AKS_ENCLAVE_ID: content.aksPolicy?.enclaveId ?? 'none',
      ACI_ENCLAVE_ID: content.aciPolicy?.enclaveId ?? 'none',
    });
  const artifacts: ReleaseArtifact[] = [
    { name: `uid2-operator-aks-deployment-files-${version}.zip`, data: writeZip(aksPackage(content, render)) },
    { name: `uid2-operator-azure-cc-deployment-files-${version}.zip`, data: writeZip(azureCcPackage(content, render)) },
    { name: `uid2-operator-azure-sgx-deployment-files-${version}.zip`, data: writeZip(sgxPackage(content, render)) },
    { name: `uid2-operator-sbom-${version}.cdx.json`, data: Buffer.from(r.sbom({ version, image: image.reference })) },
  ];
  if (content.aksPolicy) artifacts.push({ name: `azure-aks-enclave-id-${version}.txt`, data: Buffer.from(`${content.aksPolicy.enclaveId}\n`) });
  if (content.aciPolicy) artifacts.push({ name: `azure-cc-enclave-id-${version}.txt`, data: Buffer.from(`${content.aciPolicy.enclaveId}\n`) });
  return artifacts.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** `sha256sum` output format: `<hex>  <name>` per line, in name order. */
export function sha256Sums(artifacts: readonly ReleaseArtifact[]): string {
  return artifacts.map((a) => `${createHash('sha256').update(a.data).digest('hex')}  ${a.name}\n`).join('');
}

/** Writes the artifacts and SHA256SUMS into `outDir` (created if needed); returns the names. */
export function writeRelease(outDir: string, artifacts: readonly ReleaseArtifact[]): string[] {
  mkdirSync(outDir, { recursive: true });
  for (const a of artifacts) writeFileSync(join(outDir, a.name), a.data);
  writeFileSync(join(outDir, CHECKSUM_FILE), sha256Sums(artifacts));
  return [...artifacts.map((a) => a.name), CHECKSUM_FILE];
}
