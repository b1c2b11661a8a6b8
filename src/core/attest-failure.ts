/**
 * How `/attest` answers each failure (spec attestation-azure.md §2.1, upstream
 * `CoreVerticle.handleAttestAsync` and `AttestationFailure.explain()`). Error bodies are
 * `{"status":"<reason>"}` plus `"message"` when upstream sends one.
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

/** Failures that are the operator's fault answer 403 (the operator then shuts down); the rest 500. */
const SERVER_SIDE: ReadonlySet<AttestationFailure> = new Set(['UNKNOWN', 'INTERNAL_ERROR']);

export interface ErrorReply {
  readonly code: number;
  readonly body: { status: string; message?: string };
}

export function verifierFailureReply(failure: AttestationFailure, detail?: string): ErrorReply {
  const message = FAILURE_EXPLANATIONS[failure] ?? FAILURE_EXPLANATIONS.UNKNOWN;
  return { code: SERVER_SIDE.has(failure) ? 500 : 403, body: { status: detail ?? message, message } };
}

export const ATTEST_ERRORS = {
  notJson: { code: 400, body: { status: 'request body is not a valid json' } },
  noRequest: { code: 400, body: { status: 'no attestation_request attached' } },
  // Upstream lets a bad base64 escape as an exception (a bare 500); the operator's input is at fault.
  badEncoding: { code: 400, body: { status: 'attestation failure', message: FAILURE_EXPLANATIONS.BAD_FORMAT } },
  unknownProtocol: { code: 403, body: { status: 'protocol not found' } },
  invalidType: { code: 403, body: { status: 'attestation failure; invalid operator type' } },
  verifierCrashed: { code: 500, body: { status: 'attestation failure' } },
  internal: { code: 500, body: { status: 'attestation failure', message: FAILURE_EXPLANATIONS.INTERNAL_ERROR } },
} as const satisfies Record<string, ErrorReply>;

export const UNAUTHORIZED: ErrorReply = { code: 401, body: { status: 'unauthorized' } };
