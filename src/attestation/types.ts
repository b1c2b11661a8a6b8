/**
 * Attestation interfaces (spec attestation-azure.md §1.2-§2.2, §6.1).
 * Operator side: an `AttestationProvider` turns the operator's fresh RSA public key (and the
 * Core attest URL as user data) into the platform evidence sent as `attestation_request`.
 * Core side: one `AttestationVerifier` per protocol checks that evidence and the enclave id.
 */
export interface AttestationProvider {
  /** "trusted" | "azure-cc" | "azure-sgx" */
  readonly name: string;
  getAttestationRequest(spkiDer: Buffer, userData: Buffer): Promise<Buffer>;
}

/** Upstream `AttestationFailure` reasons (uid2-shared `secure/AttestationFailure.java`). */
export type AttestationFailure =
  | 'BAD_FORMAT'
  | 'BAD_PAYLOAD'
  | 'BAD_CERTIFICATE'
  | 'INVALID_PROTOCOL'
  | 'UNKNOWN_ATTESTATION_URL'
  | 'FORBIDDEN_ENCLAVE'
  | 'INVALID_TYPE'
  | 'UNKNOWN'
  | 'INTERNAL_ERROR';

export type VerificationResult =
  | { ok: true; enclaveId: string; publicKey: Buffer }
  | { ok: false; failure: AttestationFailure; detail?: string };

export interface AttestationVerifier {
  /** The protocol name as stored on the operator key record: "trusted" | "azure-cc" | "azure-sgx". */
  readonly protocol: string;
  verify(request: Buffer, publicKeySpki: Buffer): Promise<VerificationResult>;
  registerEnclave(id: string): void;
  unregisterEnclave(id: string): void;
}
