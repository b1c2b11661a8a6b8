/**
 * Attestation verifiers by protocol (spec attestation-azure.md §2.1: the protocol comes from the
 * operator key record). Core registers one verifier per protocol it supports; an operator whose
 * protocol has none gets 403 INVALID_PROTOCOL. Enclave registrations are routed to the verifier
 * of their protocol; those for unknown protocols are ignored (upstream logs and skips them).
 */
import type { AttestationVerifier } from './types.ts';

export class VerifierRegistry {
  private readonly verifiers = new Map<string, AttestationVerifier>();

  constructor(verifiers: Iterable<AttestationVerifier> = []) {
    for (const v of verifiers) this.add(v);
  }

  add(verifier: AttestationVerifier): this {
    if (this.verifiers.has(verifier.protocol)) throw new Error(`a verifier for "${verifier.protocol}" is already registered`);
    this.verifiers.set(verifier.protocol, verifier);
    return this;
  }

  get(protocol: string): AttestationVerifier | undefined {
    return this.verifiers.get(protocol);
  }

  protocols(): string[] {
    return [...this.verifiers.keys()].sort();
  }

  /** Returns false when no verifier handles `protocol`. */
  registerEnclave(protocol: string, id: string): boolean {
    const v = this.verifiers.get(protocol);
    v?.registerEnclave(id);
    return v !== undefined;
  }

  unregisterEnclave(protocol: string, id: string): boolean {
    const v = this.verifiers.get(protocol);
    v?.unregisterEnclave(id);
    return v !== undefined;
  }
}
