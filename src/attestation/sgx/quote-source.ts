/**
 * Where the operator's SGX quote comes from (spec §1.3b). Pure TypeScript cannot issue Occlum's
 * `/dev/sgx` ioctls, so on hardware the quote comes from a small native helper, run as a child
 * process; tests use the simulator (`sim/simulated-quote-source.ts`).
 *
 * Helper contract (deploy/sgx/src/sgx_quote.c implements it):
 *   <helperPath> quote <REPORTDATA as 128 lowercase hex chars>
 *   - stdout: the raw DCAP v3 quote bytes, nothing else; exit status 0.
 *   - Inside Occlum it calls SGXIOC_GET_DCAP_QUOTE_SIZE (_IOR('s',7,uint32) = 0x80047307) and
 *     SGXIOC_GEN_DCAP_QUOTE (_IOWR('s',8,{report_data*, uint32* len, uint8* buf}) = 0xc0187308)
 *     on /dev/sgx, as upstream's libazure-attestation did.
 *   - Any other exit status is a failure; the source retries (the ioctl can answer EAGAIN while
 *     the AESM/PCCS is warming up; upstream retried 3 times with a 1 s sleep).
 */
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_QUOTE_SIZE } from './dcap-quote.ts';
import { REPORT_DATA_SIZE } from './sgx-report-body.ts';

export interface QuoteSource {
  /** A DCAP quote of the calling enclave carrying `reportData` (64 bytes) as REPORTDATA. */
  getQuote(reportData: Buffer): Promise<Buffer>;
}

export class QuoteSourceError extends Error {
  override readonly name = 'QuoteSourceError';
}

export interface HelperQuoteSourceOptions {
  /** Path of the helper binary; inside the Occlum image it is /bin/sgx_quote. */
  helperPath?: string;
  /** Arguments before `quote <hex>` (e.g. an interpreter script path in tests). */
  args?: readonly string[];
  timeoutMs?: number;
  attempts?: number;
  retryDelayMs?: number;
}

export const DEFAULT_SGX_QUOTE_HELPER = '/bin/sgx_quote';

export class HelperQuoteSource implements QuoteSource {
  private readonly helperPath: string;
  private readonly args: readonly string[];
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;

  constructor(options: HelperQuoteSourceOptions = {}) {
    this.helperPath = options.helperPath ?? DEFAULT_SGX_QUOTE_HELPER;
    this.args = options.args ?? [];
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 1000;
  }

  async getQuote(reportData: Buffer): Promise<Buffer> {
    if (reportData.length !== REPORT_DATA_SIZE) throw new QuoteSourceError('report data must be 64 bytes');
    let last: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      try {
        return await this.runOnce(reportData);
      } catch (err) {
        last = err;
        if (attempt < this.attempts) await sleep(this.retryDelayMs);
      }
    }
    throw new QuoteSourceError(`SGX quote helper failed after ${this.attempts} attempts: ${(last as Error).message}`);
  }

  private runOnce(reportData: Buffer): Promise<Buffer> {
    const argv = [...this.args, 'quote', reportData.toString('hex')];
    return new Promise((resolve, reject) => {
      execFile(
        this.helperPath,
        argv,
        { encoding: 'buffer', timeout: this.timeoutMs, maxBuffer: MAX_QUOTE_SIZE, killSignal: 'SIGKILL', windowsHide: true },
        (err, stdout) => {
          // The helper's stderr is not forwarded: it may echo device paths, never needed upstream.
          if (err) reject(new QuoteSourceError(err.killed ? 'helper timed out' : `helper exited with ${String(err.code ?? 'error')}`));
          else if (stdout.length === 0) reject(new QuoteSourceError('helper printed no quote'));
          else resolve(stdout);
        },
      );
    });
  }
}
