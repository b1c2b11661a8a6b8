/**
 * The `operatorVersion` JWT claim (spec attestation-azure.md §1.5, upstream
 * `CoreVerticle.getClientVersionFromHeader`): `<contact>|<app>|<version>` from the first
 * `name=version` pair of `X-UID2-AppVersion`.
 */
export function operatorVersionOf(header: string | string[] | undefined, contact: string): string {
  if (typeof header !== 'string') return 'unknown client version';
  const first = header.split(';')[0] ?? '';
  const eq = first.indexOf('=');
  if (eq <= 0 || eq === first.length - 1) return `${contact}|null client key`;
  return `${contact}|${first.slice(0, eq).trim()}|${first.slice(eq + 1).trim()}`;
}
