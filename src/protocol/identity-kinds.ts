/**
 * Enumerated identity values, described once (spec §6.4, §7).
 *
 * | name        | values                                   | where it appears                         |
 * | scope       | UID2 = 0, EUID = 1                        | bit 4 of every identity byte             |
 * | type        | Email = 0, Phone = 1                      | bit 2 of every identity byte             |
 * | environment | test = 0, integ = 1, prod = 2             | bits 6-7 of the raw UID v4 metadata byte |
 *
 * Identity-type byte of tokens v3+/refresh v3: (scope << 4) | (type << 2) | 3.
 * Raw UID v3 first byte: (scope << 4) | (type << 2).
 * Raw UID v4 metadata: (env << 6) | (1 << 5) | (scope << 4) | (type << 2).
 * Refresh envelope first byte: scope << 4.
 */
import { ProtocolError } from './errors.ts';

export const IdentityScope = { UID2: 0, EUID: 1 } as const;
export type IdentityScope = (typeof IdentityScope)[keyof typeof IdentityScope];

export const IdentityType = { Email: 0, Phone: 1 } as const;
export type IdentityType = (typeof IdentityType)[keyof typeof IdentityType];

export const IdentityEnvironment = { test: 0, integ: 1, prod: 2 } as const;
export type IdentityEnvironmentName = keyof typeof IdentityEnvironment;
export type IdentityEnvironment = (typeof IdentityEnvironment)[IdentityEnvironmentName];

export function parseScope(name: string): IdentityScope {
  const lower = name.toLowerCase();
  if (lower === 'uid2') return IdentityScope.UID2;
  if (lower === 'euid') return IdentityScope.EUID;
  throw new ProtocolError('ERR_INVALID_INPUT', `unknown identity scope: ${name}`);
}

export function scopeName(scope: IdentityScope): 'UID2' | 'EUID' {
  return scope === IdentityScope.EUID ? 'EUID' : 'UID2';
}

export function parseEnvironment(name: string): IdentityEnvironment {
  const lower = name.toLowerCase();
  // Own keys only: "constructor" or "__proto__" must not resolve to Object.prototype members.
  const env = Object.hasOwn(IdentityEnvironment, lower)
    ? (IdentityEnvironment as Record<string, IdentityEnvironment>)[lower]
    : undefined;
  if (env === undefined) throw new ProtocolError('ERR_INVALID_INPUT', `unknown identity environment: ${name}`);
  return env;
}

/** Identity-type byte of advertising tokens v3/v4 and refresh tokens v3. */
export function tokenIdentityByte(scope: IdentityScope, type: IdentityType): number {
  return (scope << 4) | (type << 2) | 3;
}

/** Scope and type read back from any identity byte (token header, raw UID v3/v4 first byte). */
export function readIdentityByte(byte: number): { scope: IdentityScope; type: IdentityType } {
  return { scope: ((byte >> 4) & 1) as IdentityScope, type: ((byte >> 2) & 1) as IdentityType };
}
