/**
 * Checks of the attestation headers an operator sends with every Core/OptOut download (spec
 * attestation-azure.md §1.5, upstream `AttestationMiddleware`), shared by Core and OptOut:
 *
 * - `Attestation-Token`: decrypts, its embedded key equals the bearer key, not expired. Skipped
 *   for protocol `trusted`, as upstream does.
 * - `Attestation-JWT`: signature, issuer, audience, subject and roles. A missing or bad JWT only
 *   fails the request when `enforceJwt` is set.
 *
 * Callers authenticate the bearer key first; any failure here is a 401 for them.
 */
import type { AttestationTokenCodec } from './attestation-token.ts';
import { verifyOperatorJwt, type JwtVerificationKey } from './operator-jwt.ts';
import { TRUSTED_PROTOCOL } from './trusted-verifier.ts';
import { isSameSecret } from '../protocol/secret-comparison.ts';

export const ATTESTATION_TOKEN_HEADER = 'attestation-token';
export const ATTESTATION_JWT_HEADER = 'attestation-jwt';

export interface AttestationHeaderOptions {
  readonly tokens: AttestationTokenCodec;
  /** Verifies JWT signatures: Core's own public key, or a remote JWKS for OptOut. */
  readonly jwtKey?: JwtVerificationKey;
  readonly issuer: string;
  /** The audience this service expects (core_public_url for Core, optout_url for OptOut). */
  readonly audience: string;
  readonly enforceJwt: boolean;
  readonly now?: () => number;
}

/** The authenticated operator, as the bearer-key lookup found it. */
export interface AttestedCaller {
  readonly key: string;
  readonly keyHash: string;
  readonly protocol: string;
}

export type AttestationCheck = { ok: true } | { ok: false; reason: 'token' | 'jwt' };

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

export async function verifyAttestationHeaders(
  headers: Record<string, string | string[] | undefined>,
  caller: AttestedCaller,
  requiredRoles: readonly string[],
  options: AttestationHeaderOptions,
): Promise<AttestationCheck> {
  const nowMs = (options.now ?? Date.now)();
  if (caller.protocol !== TRUSTED_PROTOCOL) {
    const token = header(headers, ATTESTATION_TOKEN_HEADER);
    const claims = token === undefined ? undefined : options.tokens.decrypt(token);
    // Constant-time: the operator key is a secret (issue 7 §6).
    if (!claims || !isSameSecret(claims.operatorKey, caller.key) || claims.expiresAtSeconds * 1000 <= nowMs) return { ok: false, reason: 'token' };
  }
  const jwt = header(headers, ATTESTATION_JWT_HEADER);
  const jwtOk =
    jwt !== undefined &&
    options.jwtKey !== undefined &&
    (await verifyOperatorJwt(jwt, options.jwtKey, {
      issuer: options.issuer,
      audience: options.audience,
      keyHash: caller.keyHash,
      requiredRoles,
      nowMs,
    })) !== undefined;
  if (!jwtOk && options.enforceJwt) return { ok: false, reason: 'jwt' };
  return { ok: true };
}
