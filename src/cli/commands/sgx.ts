/**
 * `uid2 sgx quote [FILE]`: prints the identity fields of an SGX DCAP v3 quote — MRENCLAVE,
 * MRSIGNER, PRODID, SVN, DEBUG — as `run.sh quote` does on hardware (spec attestation-azure.md
 * §2.5, §3.4). FILE holds the raw quote or its base64 (an `attestation_request`); with
 * --simulate the quote comes from the SGX simulator instead.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decodeDcapQuote } from '../../attestation/sgx/dcap-quote.ts';
import { isDebugEnclave } from '../../attestation/sgx/sgx-report-body.ts';
import { SgxQuoteGenerator } from '../../attestation/sgx/sim/sgx-quote-generator.ts';
import { failCommand } from './deploy.ts';

interface QuoteOptions {
  simulate?: boolean;
  mrenclave?: string;
  json?: boolean;
}

/** Raw bytes, or base64 text of them (what Core receives in `attestation_request`). */
function readQuote(file: string): Buffer {
  const bytes = readFileSync(file === '-' ? 0 : file);
  const text = bytes.toString('latin1').trim();
  return /^[A-Za-z0-9+/]+={0,2}$/.test(text) && bytes.readUInt16LE(0) !== 3 ? Buffer.from(text, 'base64') : bytes;
}

function describeQuote(quote: Buffer): Record<string, string | number | boolean> {
  const q = decodeDcapQuote(quote);
  return {
    MRENCLAVE: q.reportBody.mrEnclave.toString('hex'),
    MRSIGNER: q.reportBody.mrSigner.toString('hex'),
    PRODID: q.reportBody.isvProdId,
    SVN: q.reportBody.isvSvn,
    DEBUG: isDebugEnclave(q.reportBody),
  };
}

export function register(program: Command): void {
  const sgx = program.command('sgx').description('Intel SGX (azure-sgx) tools');
  sgx
    .command('quote')
    .description('print MRENCLAVE, MRSIGNER, PRODID, SVN of a DCAP quote file or of a simulated quote')
    .argument('[file]', 'raw or base64 quote ("-" = stdin)')
    .option('--simulate', 'describe a quote from the SGX simulator instead of a file')
    .option('--mrenclave <hex>', 'with --simulate: the MRENCLAVE to put in the quote')
    .option('--json', 'print JSON')
    .action((file: string | undefined, opts: QuoteOptions) => {
      try {
        if (!opts.simulate && file === undefined) throw new Error('give a quote FILE or --simulate');
        const quote = opts.simulate ? new SgxQuoteGenerator().generate({ mrEnclave: opts.mrenclave }) : readQuote(file as string);
        const fields = describeQuote(quote);
        process.stdout.write(
          opts.json ? `${JSON.stringify(fields)}\n` : Object.entries(fields).map(([k, v]) => `${k}: ${v}\n`).join(''),
        );
      } catch (err) {
        failCommand('sgx quote', err);
      }
    });
}
