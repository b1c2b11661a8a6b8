/**
 * How `/attest` explains each verifier failure (spec attestation-azure.md §2.1, upstream
 * `AttestationFailure.explain()`), and which are the operator's fault (403: the operator then
 * shuts down) and which Core's (500). The error families themselves are in `core-errors.ts`.
 */
import type { AttestationFailure } from '../attestation/types.ts';

export const FAILURE_EXPLANATIONS: Readonly<Record<AttestationFailure, string>> = {
  BAD_FORMAT: 'The payload is ill-formatted',
  BAD_PAYLOAD: 'Cannot verify payload with the signature',
  BAD_CERTIFICATE: 'Cannot verify the certificate chain',
  FORBIDDEN_ENCLAVE: 'The enclave identifier is unknown',
  UNKNOWN_ATTESTATION_URL: 'The given attestation URL is unknown',
  INVALID_PROTOCOL: 'The given protocol is not valid',
  INTERNAL_ERROR: 'There was an internal processing error',
  INVALID_TYPE: 'Invalid Operator Type',
  UNKNOWN: 'Unknown reason',
};

/** Failures that are Core's side answer 500; the rest 403. */
export const SERVER_SIDE_FAILURES: ReadonlySet<AttestationFailure> = new Set(['UNKNOWN', 'INTERNAL_ERROR']);
