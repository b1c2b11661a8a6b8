/**
 * Who the operator says it is to Core and OptOut (spec attestation-azure.md §1.2): the
 * application name and version, the component versions, the `X-UID2-AppVersion` header built from
 * them, and the per-process `UID-Instance-Id` (`<uid_instance_id_prefix>-<random hex>`).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface OperatorIdentity {
  readonly applicationName: string;
  readonly applicationVersion: string;
  /** Component name → version, sent as `components` and in `X-UID2-AppVersion`. */
  readonly components: Readonly<Record<string, string>>;
  readonly instanceId: string;
}

/** This package's version: the operator reports it as both application and component version. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function createOperatorIdentity(instanceIdPrefix: string): OperatorIdentity {
  const version = packageVersion();
  return Object.freeze({
    applicationName: 'uid2-operator',
    applicationVersion: version,
    components: Object.freeze({ 'uid2-shared': version, 'uid2-attestation-api': version }),
    // Upstream appends a random hex long to the prefix (`UidInstanceIdProvider`).
    instanceId: `${instanceIdPrefix}-${randomBytes(8).toString('hex')}`,
  });
}

/** `uid2-operator=<v>;uid2-shared=<v>;uid2-attestation-api=<v>` (§1.2 headers). */
export function appVersionHeader(id: OperatorIdentity): string {
  const pairs = [[id.applicationName, id.applicationVersion], ...Object.entries(id.components)];
  return pairs.map(([name, version]) => `${name}=${version}`).join(';');
}
