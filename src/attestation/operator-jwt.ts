/**
 * The JWTs Core hands an attested operator (spec attestation-azure.md §1.5, upstream
 * `OperatorJWTTokenProvider`): RS256, header `{"typ":"JWT","alg":"RS256"}` (plus our `kid`), and
 *
 * | claim           | value                                                          |
 * | exp             | the attestation token's expiry (epoch s)                       |
 * | iat, jti        | now, random UUID                                               |
 * | iss             | core_public_url                                                |
 * | aud             | optout_url (opt-out JWT) or core_public_url (core JWT)         |
 * | sub             | base64(SHA-512(UTF-8(operator key_hash)))                      |
 * | name            | operator name                                                  |
 * | roles           | the operator's roles, comma-joined                             |
 * | siteId          | site id as a string                                            |
 * | enclaveId       | what the verifier reported                                     |
 * | enclaveType     | the protocol                                                   |
 * | operatorVersion | "<contact>|<app>|<version>"                                    |
 *
 * Upstream signs with AWS KMS; here the key is a local RSA key published as a JWKS.
 */
import { createHash, randomUUID, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export interface OperatorJwtInput {
  readonly keyHash: string;
  readonly name: string;
  readonly roles: Iterable<string>;
  readonly siteId: number | undefined;
  readonly enclaveId: string;
  readonly enclaveType: string;
  readonly operatorVersion: string;
  readonly expiresAtMs: number;
  readonly issuer: string;
  readonly audience: string;
}

export interface JwtSigningKey {
  readonly privateKey: KeyObject;
  readonly kid: string;
}

export function jwtSubject(keyHash: string): string {
  return createHash('sha512').update(keyHash, 'utf8').digest('base64');
}

export async function signOperatorJwt(key: JwtSigningKey, input: OperatorJwtInput, nowMs = Date.now()): Promise<string> {
  return new SignJWT({
    name: input.name,
    roles: [...input.roles].join(','),
    siteId: input.siteId === undefined ? '' : String(input.siteId),
    enclaveId: input.enclaveId,
    enclaveType: input.enclaveType,
    operatorVersion: input.operatorVersion,
  })
    .setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: key.kid })
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setSubject(jwtSubject(input.keyHash))
    .setIssuedAt(Math.floor(nowMs / 1000))
    .setExpirationTime(Math.floor(input.expiresAtMs / 1000))
    .setJti(randomUUID())
    .sign(key.privateKey);
}

export type JwtVerificationKey = KeyObject | JWTVerifyGetKey;

export interface OperatorJwtExpectation {
  readonly issuer: string;
  readonly audience: string;
  readonly keyHash: string;
  /** At least one of these must be among the JWT's roles. */
  readonly requiredRoles: readonly string[];
  readonly nowMs?: number;
}

/**
 * The JWT's claims when its signature, issuer, audience, expiry, subject and roles all check out
 * (upstream `AttestationMiddleware` JWT validation); undefined otherwise.
 */
export async function verifyOperatorJwt(jwt: string, key: JwtVerificationKey, expect: OperatorJwtExpectation): Promise<JWTPayload | undefined> {
  try {
    const options = {
      issuer: expect.issuer,
      audience: expect.audience,
      algorithms: ['RS256'],
      currentDate: expect.nowMs === undefined ? undefined : new Date(expect.nowMs),
    };
    const { payload } = typeof key === 'function' ? await jwtVerify(jwt, key, options) : await jwtVerify(jwt, key, options);
    if (payload.sub !== jwtSubject(expect.keyHash)) return undefined;
    const roles = typeof payload.roles === 'string' ? payload.roles.split(',') : [];
    if (!expect.requiredRoles.some((r) => roles.includes(r))) return undefined;
    return payload;
  } catch {
    return undefined;
  }
}
