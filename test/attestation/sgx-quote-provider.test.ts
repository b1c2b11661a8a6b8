/** SgxQuoteProvider with the simulated and the helper-process quote sources. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SgxQuoteProvider } from '../../src/attestation/sgx/sgx-quote-provider.ts';
import { HelperQuoteSource, QuoteSourceError } from '../../src/attestation/sgx/quote-source.ts';
import { SgxDcapVerifier } from '../../src/attestation/sgx/sgx-dcap-verifier.ts';
import { decodeDcapQuote } from '../../src/attestation/sgx/dcap-quote.ts';
import { SimulatedQuoteSource } from '../../src/attestation/sgx/sim/simulated-quote-source.ts';
import { SIMULATED_MRENCLAVE } from '../../src/attestation/sgx/sim/sgx-quote-generator.ts';

const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
const userData = Buffer.from('https://core-integ.uidapi.com/attest');

test('the provider puts SHA-256(public key) ‖ 0^32 in REPORTDATA and Core accepts the quote', async () => {
  const source = new SimulatedQuoteSource();
  const provider = new SgxQuoteProvider(source);
  assert.equal(provider.name, 'azure-sgx');
  const request = await provider.getAttestationRequest(spki, userData);
  const quote = decodeDcapQuote(request);
  assert.deepEqual(quote.reportBody.reportData.subarray(0, 32), createHash('sha256').update(spki).digest());
  assert.deepEqual(quote.reportBody.reportData.subarray(32), Buffer.alloc(32));

  const verifier = new SgxDcapVerifier({ trustedRootsPem: source.generator.rootPem });
  verifier.registerEnclave(SIMULATED_MRENCLAVE);
  assert.deepEqual(await verifier.verify(request, spki), { ok: true, enclaveId: SIMULATED_MRENCLAVE, publicKey: spki });
});

test('a debug simulated enclave is refused by Core', async () => {
  const source = new SimulatedQuoteSource(undefined, { debug: true });
  const verifier = new SgxDcapVerifier({ trustedRootsPem: source.generator.rootPem });
  verifier.registerEnclave(SIMULATED_MRENCLAVE);
  const result = await verifier.verify(await new SgxQuoteProvider(source).getAttestationRequest(spki, userData), spki);
  assert.equal(result.ok, false);
});

/** A stand-in for the native sgx_quote helper: a node script honouring the same argv/stdout contract. */
function helper(script: string, options: { attempts?: number; timeoutMs?: number } = {}): HelperQuoteSource {
  return new HelperQuoteSource({ helperPath: process.execPath, args: ['-e', script], retryDelayMs: 0, ...options });
}

test('HelperQuoteSource runs `<helper> quote <hex>` and returns its stdout bytes', async () => {
  const echo = "const [cmd, hex] = process.argv.slice(1); process.stdout.write(Buffer.concat([Buffer.from(cmd + ':'), Buffer.from(hex, 'hex')]));";
  const reportData = Buffer.alloc(64, 7);
  const out = await helper(echo).getQuote(reportData);
  assert.deepEqual(out, Buffer.concat([Buffer.from('quote:'), reportData]));
});

test('HelperQuoteSource retries a failing helper, then gives up with a QuoteSourceError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sgx-helper-'));
  try {
    const counter = join(dir, 'count');
    const flaky = `const fs = require('fs'); const n = fs.existsSync(${JSON.stringify(counter)}) ? +fs.readFileSync(${JSON.stringify(counter)}, 'utf8') : 0;
      fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1)); if (n < 2) process.exit(75); process.stdout.write('ok');`;
    assert.deepEqual(await helper(flaky, { attempts: 3 }).getQuote(Buffer.alloc(64)), Buffer.from('ok'));
    assert.equal(readFileSync(counter, 'utf8'), '3');
    await assert.rejects(helper('process.exit(3)', { attempts: 2 }).getQuote(Buffer.alloc(64)), QuoteSourceError);
    await assert.rejects(helper('', { attempts: 1 }).getQuote(Buffer.alloc(64)), /no quote/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HelperQuoteSource kills a hung helper and rejects bad report data', async () => {
  await assert.rejects(helper('setInterval(() => {}, 1000)', { attempts: 1, timeoutMs: 300 }).getQuote(Buffer.alloc(64)), /timed out/);
  await assert.rejects(helper('').getQuote(Buffer.alloc(32)), /64 bytes/);
  await assert.rejects(
    new HelperQuoteSource({ helperPath: '/nonexistent/sgx_quote', attempts: 1 }).getQuote(Buffer.alloc(64)),
    QuoteSourceError,
  );
});
