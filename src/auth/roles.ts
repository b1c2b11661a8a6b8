/**
 * Roles of API clients and operator keys (spec §2.1, upstream `Role` enum). Unknown role strings
 * become `UNKNOWN`, as Jackson's default-enum does upstream; they grant nothing.
 */
export const ROLES = [
  'GENERATOR',
  'MAPPER',
  'ID_READER',
  'SHARER',
  'OPERATOR',
  'OPTOUT',
  'OPTOUT_SERVICE',
  'UNKNOWN',
] as const;
export type Role = (typeof ROLES)[number];

const KNOWN = new Set<string>(ROLES);

export function parseRole(name: unknown): Role {
  return typeof name === 'string' && KNOWN.has(name) ? (name as Role) : 'UNKNOWN';
}

export function parseRoles(value: unknown): ReadonlySet<Role> {
  if (!Array.isArray(value)) return new Set();
  return new Set(value.map(parseRole));
}

/** True when `granted` holds at least one of `required` (upstream RoleBasedAuthorizationProvider). */
export function hasAnyRole(granted: ReadonlySet<Role>, required: readonly Role[]): boolean {
  return required.some((r) => granted.has(r));
}
