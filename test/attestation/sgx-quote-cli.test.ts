/** `uid2 sgx quote`: identity fields of a quote file (raw or base64) or of a simulated quote. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../deploy/support/cli.ts';
import { SIMULATED_MRSIGNER, SgxQuoteGenerator } from '../../src/attestation/sgx/sim/sgx-quote-generator.ts';

const dir = mkdtempSync(join(tmpdir(), 'sgx-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const quote = new SgxQuoteGenerator().generate({ mrEnclave: '11'.repeat(32), mrSigner: '22'.repeat(32), isvSvn: 5, debug: true });

test('describes a raw quote file and its base64 form identically', () => {
  const raw = join(dir, 'quote.bin');
  const b64 = join(dir, 'quote.b64');
  writeFileSync(raw, quote);
  writeFileSync(b64, `${quote.toString('base64')}\n`);
  const expected = `MRENCLAVE: ${'11'.repeat(32)}\nMRSIGNER: ${'22'.repeat(32)}\nPRODID: 770\nSVN: 5\nDEBUG: true\n`;
  assert.equal(runCommand('sgx', ['sgx', 'quote', raw]).stdout, expected);
  assert.equal(runCommand('sgx', ['sgx', 'quote', b64]).stdout, expected);
});

test('--simulate --json prints the simulated enclave identity', () => {
  const r = runCommand('sgx', ['sgx', 'quote', '--simulate', '--mrenclave', 'ab'.repeat(32), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { MRENCLAVE: 'ab'.repeat(32), MRSIGNER: SIMULATED_MRSIGNER, PRODID: 770, SVN: 2, DEBUG: false });
});

test('a file that is not a quote fails with one line, no stack trace', () => {
  const junk = join(dir, 'junk');
  writeFileSync(junk, 'hello');
  const r = runCommand('sgx', ['sgx', 'quote', junk]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^uid2 sgx quote: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(runCommand('sgx', ['sgx', 'quote']).status, 1);
});
