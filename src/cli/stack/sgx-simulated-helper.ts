/**
 * A simulated `sgx_quote` helper for running the azure-sgx protocol without SGX hardware (local
 * stack and tests only; spec attestation-azure.md §6.2). `writeSimulatedQuoteHelper(dir)` writes:
 *
 *   DIR/state.json    the simulator's test PKI and attestation key (`simulator-state.ts`)
 *   DIR/root-ca.pem   the test root Core must trust (`sgx_root_ca_pem_path` in Core's config)
 *   DIR/sgx_quote     an executable honouring the helper contract of `quote-source.ts`
 *                     (`sgx_quote quote <REPORTDATA hex>` -> raw quote on stdout), which runs
 *                     `uid2 sgx quote --simulate --state DIR/state.json --raw --report-data HEX`
 *
 * The operator is pointed at it with `sgx_quote_helper=DIR/sgx_quote`; production configs never
 * set that key, so the operator uses the real /bin/sgx_quote inside the Occlum image.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SIMULATED_MRENCLAVE, SgxQuoteGenerator } from '../../attestation/sgx/sim/sgx-quote-generator.ts';
import { saveSimulatorState } from '../../attestation/sgx/sim/simulator-state.ts';

const uid2Bin = fileURLToPath(new URL('../../../bin/uid2.mjs', import.meta.url));

export interface SimulatedQuoteHelper {
  /** Executable for the operator's `sgx_quote_helper`. */
  readonly helperPath: string;
  /** Root certificate for Core's `sgx_root_ca_pem_path`. */
  readonly rootCaPath: string;
  readonly statePath: string;
  /** MRENCLAVE (lowercase hex) of the quotes, to register with `uid2 admin register-enclave`. */
  readonly mrEnclave: string;
}

export interface SimulatedQuoteKnobs {
  /** MRENCLAVE of the simulated enclave; default `SIMULATED_MRENCLAVE`. */
  readonly mrEnclave?: string;
  /** Quote a debug enclave (Core must refuse it). */
  readonly debug?: boolean;
}

/** POSIX shell single-quoting. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export async function writeSimulatedQuoteHelper(dir: string, knobs: SimulatedQuoteKnobs = {}): Promise<SimulatedQuoteHelper> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const mrEnclave = (knobs.mrEnclave ?? SIMULATED_MRENCLAVE).toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(mrEnclave)) throw new RangeError('an SGX measurement is 64 hex characters');
  const generator = new SgxQuoteGenerator();
  const statePath = join(root, 'state.json');
  const rootCaPath = join(root, 'root-ca.pem');
  const helperPath = join(root, 'sgx_quote');
  await writeFile(statePath, `${JSON.stringify(saveSimulatorState(generator), null, 2)}\n`, { mode: 0o600 });
  await writeFile(rootCaPath, generator.rootPem);
  const command = [process.execPath, uid2Bin, 'sgx', 'quote', '--simulate', '--state', statePath, '--mrenclave', mrEnclave, '--raw']
    .map(shellQuote)
    .join(' ');
  const script = [
    '#!/bin/sh',
    '# Simulated SGX quote helper (uid2 sgx sim-init): test and local-stack use only.',
    'if [ "$#" -ne 2 ] || [ "$1" != quote ]; then echo "usage: sgx_quote quote REPORTDATA_HEX" >&2; exit 2; fi',
    `exec ${command}${knobs.debug ? ' --debug' : ''} --report-data "$2"`,
    '',
  ].join('\n');
  await writeFile(helperPath, script, { mode: 0o700 });
  await chmod(helperPath, 0o700);
  return { helperPath, rootCaPath, statePath, mrEnclave };
}
