/**
 * Unit tests of the azure-cc claim rules (spec attestation-azure.md §2.2 step 4), URL equivalence,
 * and the MAA signing-key cache (§2.2 step 2: x5c leaf or n/e JWK, one hour per endpoint).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { validateMaaClaims } from '../../src/attestation/azure-cc-policy.ts';
import { areUrlsEquivalent } from '../../src/attestation/url-equivalence.ts';
import { MaaSigningKeys } from '../../src/attestation/maa-signing-keys.ts';
import { createSelfSignedCertificate } from '../../src/attestation/sim/self-signed-certificate.ts';

const CORE = 'https://core-prod.uidapi.com';
const PUB = Buffer.from('public-key-spki').toString('base64');

function claims(overrides: Record<string, unknown> = {}, runtime: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    'x-ms-attestation-type': 'sevsnpvm',
    'x-ms-compliance-status': 'azure-compliant-uvm',
    'x-ms-sevsnpvm-is-debuggable': false,
    'x-ms-sevsnpvm-hostdata': 'ab'.repeat(32),
    'x-ms-runtime': { location: 'East US', publicKey: PUB, attestationUrl: Buffer.from(`${CORE}/attest`).toString('base64'), ...runtime },
    ...overrides,
  };
}

test('valid claims yield the host data as enclave id', () => {
  assert.deepEqual(validateMaaClaims(claims(), PUB, CORE), { ok: true, enclaveId: 'ab'.repeat(32) });
});

test('attestation type is compared case-insensitively, compliance exactly', () => {
  assert.equal(validateMaaClaims(claims({ 'x-ms-attestation-type': 'SEVSNPVM' }), PUB, CORE).ok, true);
  const r = validateMaaClaims(claims({ 'x-ms-compliance-status': 'AZURE-COMPLIANT-UVM' }), PUB, CORE);
  assert.equal(!r.ok && r.failure, 'BAD_FORMAT');
});

test('each rule maps to its upstream failure', () => {
  const cases: Array<[Record<string, unknown>, Record<string, unknown>, string]> = [
    [{ 'x-ms-attestation-type': 'sgx' }, {}, 'BAD_FORMAT'],
    [{ 'x-ms-sevsnpvm-is-debuggable': true }, {}, 'BAD_FORMAT'],
    [{ 'x-ms-sevsnpvm-is-debuggable': 'false' }, {}, 'BAD_FORMAT'],
    [{ 'x-ms-runtime': 'not an object' }, {}, 'BAD_FORMAT'],
    [{}, { location: '' }, 'BAD_PAYLOAD'],
    [{}, { location: undefined }, 'BAD_PAYLOAD'],
    [{}, { location: 'northeurope' }, 'BAD_PAYLOAD'],
    [{}, { location: 'CHINA EAST' }, 'BAD_PAYLOAD'],
    [{}, { publicKey: Buffer.from('other').toString('base64') }, 'BAD_FORMAT'],
    [{}, { attestationUrl: Buffer.from('http://core-prod.uidapi.com/attest').toString('base64') }, 'UNKNOWN_ATTESTATION_URL'],
    [{}, { attestationUrl: '%%%' }, 'UNKNOWN_ATTESTATION_URL'],
    [{}, { attestationUrl: 42 }, 'UNKNOWN_ATTESTATION_URL'],
  ];
  for (const [top, runtime, expected] of cases) {
    const r = validateMaaClaims(claims(top, runtime), PUB, CORE);
    assert.equal(!r.ok && r.failure, expected, JSON.stringify({ top, runtime }));
  }
});

test('an absent attestationUrl skips the URL check (older operators)', () => {
  assert.equal(validateMaaClaims(claims({}, { attestationUrl: undefined }), PUB, CORE).ok, true);
});

test('URL equivalence: scheme, host (any case) and port; path ignored', () => {
  assert.equal(areUrlsEquivalent('https://CORE-prod.uidapi.com/attest', 'https://core-prod.uidapi.com'), true);
  assert.equal(areUrlsEquivalent('https://core-prod.uidapi.com:443/x', 'https://core-prod.uidapi.com'), true);
  assert.equal(areUrlsEquivalent('http://core-prod.uidapi.com', 'https://core-prod.uidapi.com'), false);
  assert.equal(areUrlsEquivalent('https://core-prod.uidapi.com:8443', 'https://core-prod.uidapi.com'), false);
  assert.equal(areUrlsEquivalent('not a url', 'https://core-prod.uidapi.com'), false);
});

test('signing keys: x5c and n/e JWKs, cached for the TTL, failures not cached', async () => {
  const cert = createSelfSignedCertificate({ commonName: 'maa' });
  const rsaJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
  let fetches = 0;
  let fail = true;
  const server = createServer((_req, res) => {
    fetches++;
    if (fail) {
      res.statusCode = 503;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ kid: 'cert', kty: 'RSA', x5c: [cert.certDer.toString('base64')] }, { kid: 'jwk', ...rsaJwk }, { kid: 'junk', x5c: ['AAAA'] }, 'x'] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    let now = 1_000_000;
    const keys = new MaaSigningKeys({ nowMs: () => now });
    await assert.rejects(keys.keyFor(base, 'cert'));
    fail = false;
    const fromCert = await keys.keyFor(base, 'cert');
    assert.equal(fromCert?.asymmetricKeyType, 'rsa');
    assert.equal(fromCert?.export({ format: 'jwk' }).n, cert.privateKey.export({ format: 'jwk' }).n);
    assert.equal((await keys.keyFor(`${base}/`, 'jwk'))?.export({ format: 'jwk' }).n, rsaJwk.n);
    assert.equal(await keys.keyFor(base, 'junk'), undefined);
    assert.equal(await keys.keyFor(base, 'absent'), undefined);
    assert.equal(fetches, 2, 'one failed fetch, then one cached fetch');
    now += 3_600_000;
    await keys.keyFor(base, 'cert');
    assert.equal(fetches, 3, 'refetched after an hour');
  } finally {
    server.close();
  }
});
