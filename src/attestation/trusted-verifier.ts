/**
 * The `trusted` protocol (upstream `TrustedAttestationProvider`): no evidence is checked, the
 * operator's key alone vouches for it. Used for local stacks and the operator's
 * `NoAttestationProvider` (whose request is the single byte 0x00). The enclave id is "trusted".
 */
import type { AttestationVerifier, VerificationResult } from './types.ts';

export const TRUSTED_PROTOCOL = 'trusted';

export class TrustedVerifier implements AttestationVerifier {
  readonly protocol = TRUSTED_PROTOCOL;

  async verify(_request: Buffer, publicKeySpki: Buffer): Promise<VerificationResult> {
    return { ok: true, enclaveId: TRUSTED_PROTOCOL, publicKey: publicKeySpki };
  }

  // Nothing is allow-listed for trusted operators, so registrations change nothing.
  registerEnclave(): void {}
  unregisterEnclave(): void {}
}
