/**
 * `uid2 sgx quote [FILE]`: prints the identity fields of an SGX DCAP v3 quote — MRENCLAVE,
 * MRSIGNER, PRODID, SVN, DEBUG — as `run.sh quote` does on hardware (spec attestation-azure.md
 * §2.5, §3.4). FILE holds the raw quote or its base64 (an `attestation_request`); with
 * --simulate the quote comes from the SGX simulator instead, and with --raw the quote bytes
 * themselves are printed (what the simulated `sgx_quote` helper of `uid2 sgx sim-init` does).
 *
 * `uid2 sgx sim-init --out DIR`: writes a simulated quote helper, its state and test root CA
 * (src/cli/stack/sgx-simulated-helper.ts), for running azure-sgx without hardware.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decodeDcapQuote } from '../../attestation/sgx/dcap-quote.ts';
import { isDebugEnclave } from '../../attestation/sgx/sgx-report-body.ts';
import { SgxQuoteGenerator } from '../../attestation/sgx/sim/sgx-quote-generator.ts';
import { loadSimulatorState } from '../../attestation/sgx/sim/simulator-state.ts';
import { REPORT_DATA_SIZE } from '../../attestation/sgx/sgx-report-body.ts';
import { writeSimulatedQuoteHelper } from '../stack/sgx-simulated-helper.ts';
import { failCommand } from './deploy.ts';

interface QuoteOptions {
  simulate?: boolean;
  mrenclave?: string;
  json?: boolean;
  state?: string;
  reportData?: string;
  debug?: boolean;
  raw?: boolean;
}

/** A quote from the simulator: its saved keys when --state is given, else fresh ones. */
function simulateQuote(opts: QuoteOptions): Buffer {
  const generator = opts.state ? loadSimulatorState(JSON.parse(readFileSync(opts.state, 'utf8'))) : new SgxQuoteGenerator();
  let reportData: Buffer | undefined;
  if (opts.reportData !== undefined) {
    if (!new RegExp(`^[0-9a-fA-F]{${REPORT_DATA_SIZE * 2}}$`).test(opts.reportData)) throw new Error(`--report-data must be ${REPORT_DATA_SIZE * 2} hex characters`);
    reportData = Buffer.from(opts.reportData, 'hex');
  }
  return generator.generate({ mrEnclave: opts.mrenclave, reportData, debug: opts.debug });
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
    .option('--state <file>', 'with --simulate: sign with the simulator keys saved by sgx sim-init')
    .option('--report-data <hex>', 'with --simulate: the 64-byte REPORTDATA (128 hex characters)')
    .option('--debug', 'with --simulate: quote a debug enclave')
    .option('--raw', 'print the quote bytes instead of describing them')
    .option('--json', 'print JSON')
    .action((file: string | undefined, opts: QuoteOptions) => {
      try {
        if (!opts.simulate && file === undefined) throw new Error('give a quote FILE or --simulate');
        const quote = opts.simulate ? simulateQuote(opts) : readQuote(file as string);
        if (opts.raw) {
          process.stdout.write(quote);
          return;
        }
        const fields = describeQuote(quote);
        process.stdout.write(
          opts.json ? `${JSON.stringify(fields)}\n` : Object.entries(fields).map(([k, v]) => `${k}: ${v}\n`).join(''),
        );
      } catch (err) {
        failCommand('sgx quote', err);
      }
    });

  sgx
    .command('sim-init')
    .description('write a simulated sgx_quote helper (test/local stack only), its keys and test root CA')
    .requiredOption('--out <dir>', 'directory for sgx_quote, state.json and root-ca.pem')
    .option('--mrenclave <hex>', 'MRENCLAVE of the simulated enclave')
    .option('--debug', 'the helper quotes a debug enclave')
    .action(async (opts: { out: string; mrenclave?: string; debug?: boolean }) => {
      try {
        const helper = await writeSimulatedQuoteHelper(opts.out, { mrEnclave: opts.mrenclave, debug: opts.debug });
        process.stdout.write(
          `${JSON.stringify({ sgx_quote_helper: helper.helperPath, sgx_root_ca_pem_path: helper.rootCaPath, mrenclave: helper.mrEnclave })}\n`,
        );
      } catch (err) {
        failCommand('sgx sim-init', err);
      }
    });
}
