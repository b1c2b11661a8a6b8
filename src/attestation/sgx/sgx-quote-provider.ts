/**
 * Operator-side provider for "azure-sgx" (spec §1.3b): the evidence is the raw DCAP v3 quote whose
 * REPORTDATA is SHA-256(SPKI DER public key) ‖ 0^32; `attestation_request` = base64(quote).
 *
 * The user data (Core's attest URL) is not bound: the legacy provider had no user-data parameter,
 * and Core's azure-sgx check only compares REPORTDATA with the public key (§2.4).
 */
import type { AttestationProvider } from '../types.ts';
import type { QuoteSource } from './quote-source.ts';
import { reportDataForPublicKey } from './sgx-report-body.ts';

export class SgxQuoteProvider implements AttestationProvider {
  readonly name = 'azure-sgx';

  constructor(private readonly source: QuoteSource) {}

  async getAttestationRequest(spkiDer: Buffer, _userData: Buffer): Promise<Buffer> {
    return this.source.getQuote(reportDataForPublicKey(spkiDer));
  }
}
