/**
 * The release's SBOM: CycloneDX JSON of the production dependencies, from `npm sbom --omit dev
 * --package-lock-only` (offline: it reads package-lock.json, not the registry or node_modules).
 *
 * npm's output varies from run to run in three fields, made reproducible here:
 * - `serialNumber` (a random UUID) becomes a UUID derived from the SHA-256 of the rest of the
 *   document (RFC 9562 version 8), still unique per distinct SBOM;
 * - `metadata.timestamp` is dropped (optional in CycloneDX 1.5); the release version says when;
 * - `metadata.component.name` is the checkout directory's name: it becomes package.json's name.
 * The release version and image digest are added as `metadata.properties`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ReleaseError } from './release-inputs.ts';

interface CycloneDx {
  serialNumber?: string;
  metadata?: { timestamp?: string; component?: { name?: string }; properties?: Array<{ name: string; value: string }> };
  components?: unknown[];
}

/** npm as installed beside this node (the usual layout), else the one on PATH. */
function npmCommand(): string {
  const beside = join(dirname(process.execPath), 'npm');
  return existsSync(beside) ? beside : 'npm';
}

/** Derives a version-8 UUID from bytes (RFC 9562 §5.8: custom, here SHA-256 based). */
function uuidFromContent(content: string): string {
  const h = createHash('sha256').update(content).digest();
  h[6] = (h[6] & 0x0f) | 0x80;
  h[8] = (h[8] & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Makes npm's SBOM reproducible (see above); exported for tests. */
export function normalizeSbom(npmOutput: string, packageName: string, release: { version: string; image: string }): string {
  let bom: CycloneDx;
  try {
    bom = JSON.parse(npmOutput) as CycloneDx;
  } catch {
    throw new ReleaseError('npm sbom did not print JSON');
  }
  if (!bom.metadata || !Array.isArray(bom.components)) throw new ReleaseError('npm sbom printed no CycloneDX metadata/components');
  delete bom.serialNumber;
  delete bom.metadata.timestamp;
  if (bom.metadata.component) bom.metadata.component.name = packageName;
  bom.metadata.properties = [
    { name: 'uid2:release-version', value: release.version },
    { name: 'uid2:image', value: release.image },
  ];
  const serialNumber = `urn:uuid:${uuidFromContent(JSON.stringify(bom))}`;
  // serialNumber back in its usual place, after specVersion.
  const ordered = Object.fromEntries(Object.entries(bom).flatMap(([k, v]) => (k === 'specVersion' ? [[k, v], ['serialNumber', serialNumber]] : [[k, v]])));
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Runs npm in `repoRoot` and returns the normalized SBOM. */
export function generateSbom(repoRoot: string, release: { version: string; image: string }): string {
  const args = ['sbom', '--omit', 'dev', '--sbom-format', 'cyclonedx', '--package-lock-only', '--offline'];
  const r = spawnSync(npmCommand(), args, { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`);
    throw new ReleaseError(`npm sbom failed: ${why}`);
  }
  const { name } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string };
  return normalizeSbom(r.stdout, name, release);
}
