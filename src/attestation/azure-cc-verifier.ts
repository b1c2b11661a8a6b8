/**
 * Core-side verifier for protocol `azure-cc` (uid2-shared `AzureCCCoreAttestationService`, spec
 * attestation-azure.md §2.2). The `attestation_request` is the ASCII text of an MAA JWT:
 *
 * 1. signature by a key that `{maa}/certs` lists under the header's `kid`; `iss` equal to the
 *    configured MAA base URL; `exp` in the future with no clock skew; alg RS256 or ES256.
 *    Any failure is BAD_PAYLOAD.
 * 2. the claim rules of `azure-cc-policy.ts` (BAD_FORMAT / BAD_PAYLOAD / UNKNOWN_ATTESTATION_URL).
 * 3. the enclave id (`x-ms-sevsnpvm-hostdata`) must be registered, else FORBIDDEN_ENCLAVE.
 *
 * An unreachable `/certs` is INTERNAL_ERROR (HTTP 500, which the operator retries) rather than a
 * 403 (which makes the operator exit, §1.7): an MAA outage says nothing about the enclave.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import type { AttestationFailure, AttestationVerifier, VerificationResult } from './types.ts';
import { validateMaaClaims } from './azure-cc-policy.ts';
import { MaaSigningKeys } from './maa-signing-keys.ts';
import { DEFAULT_MAA_BASE_URL } from './azure-cc-provider.ts';

export interface AzureCcVerifierOptions {
  /** `maa_server_base_url`; also the exact expected `iss`. */
  maaBaseUrl?: string;
  /** `core_public_url`; the runtime `attestationUrl` must have its scheme, host and port. */
  corePublicUrl: string;
  signingKeys?: MaaSigningKeys;
  /** Clock for `exp` (seconds are derived from it); tests may pin it. */
  now?: () => Date;
}

/** Compact JWS: three base64url segments. Checked before jose sees attacker bytes. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 64 * 1024;

export class AzureCcVerifier implements AttestationVerifier {
  readonly protocol = 'azure-cc';
  private readonly maaBaseUrl: string;
  private readonly corePublicUrl: string;
  private readonly signingKeys: MaaSigningKeys;
  private readonly now: () => Date;
  private readonly enclaves = new Set<string>();

  constructor(options: AzureCcVerifierOptions) {
    // Issuer comparison is exact (§2.2 step 2), so keep the configured text as given.
    this.maaBaseUrl = options.maaBaseUrl ?? DEFAULT_MAA_BASE_URL;
    this.corePublicUrl = options.corePublicUrl;
    this.signingKeys = options.signingKeys ?? new MaaSigningKeys();
    this.now = options.now ?? (() => new Date());
  }

  registerEnclave(id: string): void {
    this.enclaves.add(id);
  }

  unregisterEnclave(id: string): void {
    this.enclaves.delete(id);
  }

  /** The registered ids (exact, case-sensitive strings, §2.2 step 5). */
  allowlist(): string[] {
    return [...this.enclaves];
  }

  async verify(request: Buffer, publicKeySpki: Buffer): Promise<VerificationResult> {
    const token = request.toString('latin1');
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) return failure('BAD_PAYLOAD', 'not a compact JWT');
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return failure('BAD_PAYLOAD', 'unreadable JWT header');
    }
    if (typeof kid !== 'string' || kid === '') return failure('BAD_PAYLOAD', 'JWT header has no kid');

    let key;
    try {
      key = await this.signingKeys.keyFor(this.maaBaseUrl, kid);
    } catch {
      return failure('INTERNAL_ERROR', 'MAA signing keys unavailable');
    }
    if (!key) return failure('BAD_PAYLOAD', 'unknown signing key id');

    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, key, {
        issuer: this.maaBaseUrl,
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['exp'],
        currentDate: this.now(),
        clockTolerance: 0,
      });
      claims = verified.payload as Record<string, unknown>;
    } catch (err) {
      return failure('BAD_PAYLOAD', describeJoseError(err));
    }

    const outcome = validateMaaClaims(claims, publicKeySpki.toString('base64'), this.corePublicUrl);
    if (!outcome.ok) return failure(outcome.failure, outcome.detail);
    if (!this.enclaves.has(outcome.enclaveId)) return failure('FORBIDDEN_ENCLAVE', 'enclave id not registered');
    return { ok: true, enclaveId: outcome.enclaveId, publicKey: publicKeySpki };
  }
}

function failure(reason: AttestationFailure, detail: string): VerificationResult {
  return { ok: false, failure: reason, detail };
}

/** A short reason for the log; never the token itself. */
function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'token expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim check failed: ${err.claim}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature invalid';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  return 'token verification failed';
}
