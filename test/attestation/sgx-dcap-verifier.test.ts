/** SgxDcapVerifier against quotes from the SGX simulator: the happy path and every failure. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { SgxDcapVerifier } from '../../src/attestation/sgx/sgx-dcap-verifier.ts';
import { INTEL_SGX_ROOT_CA_PEM, INTEL_SGX_ROOT_CA_SHA256 } from '../../src/attestation/sgx/intel-sgx-root-ca.ts';
import { SIGNATURE_DATA_OFFSET } from '../../src/attestation/sgx/dcap-quote.ts';
import {
  SIMULATED_MRENCLAVE,
  SIMULATED_MRSIGNER,
  SgxQuoteGenerator,
  createTestPckChain,
} from '../../src/attestation/sgx/sim/sgx-quote-generator.ts';
import type { VerificationResult } from '../../src/attestation/types.ts';

const DAY = 86_400_000;
const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
const generator = new SgxQuoteGenerator();

function verifier(options: ConstructorParameters<typeof SgxDcapVerifier>[0] = {}): SgxDcapVerifier {
  const v = new SgxDcapVerifier({ trustedRootsPem: generator.rootPem, ...options });
  v.registerEnclave(SIMULATED_MRENCLAVE.toUpperCase());
  return v;
}

function assertFailure(result: VerificationResult, failure: string, detail?: RegExp): void {
  assert.equal(result.ok, false, 'expected a failure');
  if (result.ok) return;
  assert.equal(result.failure, failure, result.detail);
  if (detail) assert.match(result.detail ?? '', detail);
}

test('a valid simulated quote verifies; the enclave id is the lowercase MRENCLAVE', async () => {
  const result = await verifier().verify(generator.generate({ publicKeySpki: spki }), spki);
  assert.deepEqual(result, { ok: true, enclaveId: SIMULATED_MRENCLAVE, publicKey: spki });
});

test('unregisterEnclave removes the MRENCLAVE (any case)', async () => {
  const v = verifier();
  v.unregisterEnclave(SIMULATED_MRENCLAVE.toUpperCase());
  assertFailure(await v.verify(generator.generate({ publicKeySpki: spki }), spki), 'FORBIDDEN_ENCLAVE', /MRENCLAVE/);
});

test('malformed quotes are BAD_FORMAT and never throw', async () => {
  const good = generator.generate({ publicKeySpki: spki });
  const v = verifier();
  for (const bad of [Buffer.alloc(0), Buffer.from([0]), good.subarray(0, 600), Buffer.concat([good, Buffer.from([1])])]) {
    assertFailure(await v.verify(bad, spki), 'BAD_FORMAT');
  }
  const v4 = Buffer.from(good);
  v4.writeUInt16LE(4, 0);
  assertFailure(await v.verify(v4, spki), 'BAD_FORMAT', /version/);
});

test('a tampered quote body breaks the quote signature (BAD_PAYLOAD)', async () => {
  const quote = generator.generate({ publicKeySpki: spki });
  quote[48 + 64] ^= 0x01; // first MRENCLAVE byte
  assertFailure(await verifier().verify(quote, spki), 'BAD_PAYLOAD', /quote signature/);
});

test('a tampered quote signature is BAD_PAYLOAD', async () => {
  const quote = generator.generate({ publicKeySpki: spki });
  quote[SIGNATURE_DATA_OFFSET + 5] ^= 0xff;
  assertFailure(await verifier().verify(quote, spki), 'BAD_PAYLOAD', /quote signature/);
});

test('a wrong MRENCLAVE is FORBIDDEN_ENCLAVE', async () => {
  const quote = generator.generate({ publicKeySpki: spki, mrEnclave: 'ab'.repeat(32) });
  assertFailure(await verifier().verify(quote, spki), 'FORBIDDEN_ENCLAVE', /MRENCLAVE/);
});

test('a debug enclave is refused unless allowDebug', async () => {
  const quote = generator.generate({ publicKeySpki: spki, debug: true });
  assertFailure(await verifier().verify(quote, spki), 'FORBIDDEN_ENCLAVE', /debug/);
  assert.equal((await verifier({ allowDebug: true }).verify(quote, spki)).ok, true);
});

test('ISVPRODID must be 770 and ISVSVN at least 2', async () => {
  const v = verifier();
  assertFailure(await v.verify(generator.generate({ publicKeySpki: spki, isvProdId: 771 }), spki), 'FORBIDDEN_ENCLAVE', /ISVPRODID/);
  assertFailure(await v.verify(generator.generate({ publicKeySpki: spki, isvSvn: 1 }), spki), 'FORBIDDEN_ENCLAVE', /ISVSVN/);
  assert.equal((await v.verify(generator.generate({ publicKeySpki: spki, isvSvn: 3 }), spki)).ok, true);
});

test('MRSIGNER is checked only when an allow-list is configured', async () => {
  const quote = generator.generate({ publicKeySpki: spki });
  assert.equal((await verifier({ allowedSigners: [SIMULATED_MRSIGNER] }).verify(quote, spki)).ok, true);
  assertFailure(await verifier({ allowedSigners: ['cd'.repeat(32)] }).verify(quote, spki), 'FORBIDDEN_ENCLAVE', /MRSIGNER/);
});

test('REPORTDATA must be SHA-256 of the presented public key followed by zeros', async () => {
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' });
  const v = verifier();
  assertFailure(await v.verify(generator.generate({ publicKeySpki: other }), spki), 'BAD_PAYLOAD', /REPORTDATA/);
  const padded = generator.generate({ publicKeySpki: spki });
  const withTail = generator.generate({ reportData: Buffer.concat([padded.subarray(368, 400), Buffer.alloc(32, 1)]) });
  assertFailure(await v.verify(withTail, spki), 'BAD_PAYLOAD', /REPORTDATA/);
});

test('a broken QE binding of the attestation key is BAD_PAYLOAD', async () => {
  const quote = generator.generate({ publicKeySpki: spki, unboundAttestationKey: true });
  assertFailure(await verifier().verify(quote, spki), 'BAD_PAYLOAD', /bind/);
});

test('a tampered QE report is BAD_PAYLOAD (QE report signature)', async () => {
  const quote = generator.generate({ publicKeySpki: spki });
  quote[SIGNATURE_DATA_OFFSET + 128 + 10] ^= 0x01;
  assertFailure(await verifier().verify(quote, spki), 'BAD_PAYLOAD', /QE report signature/);
});

test('a chain from another root is BAD_CERTIFICATE (and the Intel root is the default)', async () => {
  const quote = generator.generate({ publicKeySpki: spki });
  const foreign = createTestPckChain();
  assertFailure(await verifier({ trustedRootsPem: foreign.root.pem }).verify(quote, spki), 'BAD_CERTIFICATE', /trusted root/);
  const intelOnly = new SgxDcapVerifier();
  intelOnly.registerEnclave(SIMULATED_MRENCLAVE);
  assertFailure(await intelOnly.verify(quote, spki), 'BAD_CERTIFICATE');
});

test('a chain with a broken certificate signature is BAD_CERTIFICATE', async () => {
  const leaf = Buffer.from(generator.pki.leaf.der);
  leaf[leaf.length - 3] ^= 0x01; // inside the ECDSA signature value
  const pem = `-----BEGIN CERTIFICATE-----\n${leaf.toString('base64')}\n-----END CERTIFICATE-----\n`;
  const quote = generator.generate({ publicKeySpki: spki, chainPem: pem + generator.pki.intermediate.pem + generator.pki.root.pem });
  assertFailure(await verifier().verify(quote, spki), 'BAD_CERTIFICATE', /signature 0/);
});

test('an expired or not-yet-valid chain is BAD_CERTIFICATE', async () => {
  const quote = generator.generate({ publicKeySpki: spki });
  assertFailure(await verifier({ now: () => Date.now() + 400 * DAY }).verify(quote, spki), 'BAD_CERTIFICATE', /validity/);
  assertFailure(await verifier({ now: () => Date.now() - 2 * DAY }).verify(quote, spki), 'BAD_CERTIFICATE', /validity/);
  const expiredLeaf = new SgxQuoteGenerator(createTestPckChain({ leafNotAfter: new Date(Date.now() - DAY) }));
  const v = new SgxDcapVerifier({ trustedRootsPem: expiredLeaf.rootPem });
  v.registerEnclave(SIMULATED_MRENCLAVE);
  assertFailure(await v.verify(expiredLeaf.generate({ publicKeySpki: spki }), spki), 'BAD_CERTIFICATE', /validity/);
});

test('a chain whose intermediate is not a CA is BAD_CERTIFICATE', async () => {
  const chain = generator.pki.leaf.pem + generator.pki.leaf.pem + generator.pki.root.pem;
  assertFailure(await verifier().verify(generator.generate({ publicKeySpki: spki, chainPem: chain }), spki), 'BAD_CERTIFICATE', /not a CA/);
});

test('the bundled Intel SGX Root CA is intact', () => {
  const root = new X509Certificate(INTEL_SGX_ROOT_CA_PEM);
  assert.equal(root.fingerprint256, INTEL_SGX_ROOT_CA_SHA256);
  assert.ok(root.verify(root.publicKey));
  assert.match(root.subject, /CN=Intel SGX Root CA/);
});

test('registerEnclave rejects ids that are not 32-byte hex', () => {
  assert.throws(() => verifier().registerEnclave('not-hex'));
});
