/**
 * A `QuoteSource` backed by the SGX quote simulator, for tests and for running the azure-sgx
 * protocol end to end without SGX hardware. Knobs (except REPORTDATA, which the caller supplies)
 * let a test play a misconfigured or tampered enclave.
 */
import type { QuoteSource } from '../quote-source.ts';
import { SgxQuoteGenerator, type QuoteKnobs } from './sgx-quote-generator.ts';

export class SimulatedQuoteSource implements QuoteSource {
  constructor(
    readonly generator: SgxQuoteGenerator = new SgxQuoteGenerator(),
    private readonly knobs: Omit<QuoteKnobs, 'reportData' | 'publicKeySpki'> = {},
  ) {}

  async getQuote(reportData: Buffer): Promise<Buffer> {
    return this.generator.generate({ ...this.knobs, reportData });
  }
}
