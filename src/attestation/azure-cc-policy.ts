/**
 * The claim rules Core applies to a verified MAA token (uid2-shared `azurecc/PolicyValidator`,
 * spec attestation-azure.md §2.2 steps 3-4), in upstream's order. The enclave id is
 * `x-ms-sevsnpvm-hostdata`, the SHA-256 of the ccePolicy the container group was launched with.
 *
 * Deliberate deviation: upstream dereferences `x-ms-runtime` and `x-ms-sevsnpvm-is-debuggable`
 * without null checks, so a token missing them ends in a NullPointerException and HTTP 500. Here a
 * missing or mistyped claim is BAD_FORMAT (HTTP 403): the evidence is malformed, not Core broken.
 */
import { decodeBase64 } from '../protocol/base64.ts';
import type { AttestationFailure } from './types.ts';
import { areUrlsEquivalent } from './url-equivalence.ts';

export const EXPECTED_ATTESTATION_TYPE = 'sevsnpvm';
export const EXPECTED_COMPLIANCE_STATUS = 'azure-compliant-uvm';
/** UID2 Private Operators are not supported in these regions (§2.2; the AKS guide says the same). */
const FORBIDDEN_LOCATIONS = ['china', 'europe'];

export type PolicyOutcome = { ok: true; enclaveId: string } | { ok: false; failure: AttestationFailure; detail: string };

function fail(failure: AttestationFailure, detail: string): PolicyOutcome {
  return { ok: false, failure, detail };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * @param claims the verified JWT payload
 * @param publicKeyB64 standard base64 of the `public_key` bytes Core received
 * @param corePublicUrl Core's `core_public_url`, which `attestationUrl` must match
 */
export function validateMaaClaims(claims: Record<string, unknown>, publicKeyB64: string, corePublicUrl: string): PolicyOutcome {
  const type = claims['x-ms-attestation-type'];
  const compliance = claims['x-ms-compliance-status'];
  const debuggable = claims['x-ms-sevsnpvm-is-debuggable'];
  const hostData = claims['x-ms-sevsnpvm-hostdata'];
  const runtime = claims['x-ms-runtime'];
  if (typeof debuggable !== 'boolean') return fail('BAD_FORMAT', 'x-ms-sevsnpvm-is-debuggable missing or not a boolean');
  if (!isObject(runtime)) return fail('BAD_FORMAT', 'x-ms-runtime missing or not an object');
  if (typeof hostData !== 'string' || hostData === '') return fail('BAD_FORMAT', 'x-ms-sevsnpvm-hostdata missing');

  if (typeof type !== 'string' || type.toLowerCase() !== EXPECTED_ATTESTATION_TYPE) {
    return fail('BAD_FORMAT', 'attestation type is not sevsnpvm');
  }
  if (compliance !== EXPECTED_COMPLIANCE_STATUS) return fail('BAD_FORMAT', 'compliance status is not azure-compliant-uvm');
  if (debuggable) return fail('BAD_FORMAT', 'the utility VM is debuggable');

  const location = runtime.location;
  if (typeof location !== 'string' || location === '') return fail('BAD_PAYLOAD', 'location missing');
  const lower = location.toLowerCase();
  if (FORBIDDEN_LOCATIONS.some((region) => lower.includes(region))) return fail('BAD_PAYLOAD', 'location not supported');

  if (runtime.publicKey !== publicKeyB64) return fail('BAD_FORMAT', 'runtime public key does not match public_key');

  // Optional upstream: older operators did not send it.
  if (runtime.attestationUrl !== undefined && runtime.attestationUrl !== null) {
    const url = decodeAttestationUrl(runtime.attestationUrl);
    if (url === undefined || !areUrlsEquivalent(url, corePublicUrl)) {
      return fail('UNKNOWN_ATTESTATION_URL', 'attestation URL does not match core_public_url');
    }
  }
  return { ok: true, enclaveId: hostData };
}

function decodeAttestationUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return decodeBase64(value).toString('utf8');
  } catch {
    return undefined;
  }
}
