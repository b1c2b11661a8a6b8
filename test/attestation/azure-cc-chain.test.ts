/**
 * The whole azure-cc chain over real HTTP on 127.0.0.1: provider -> simulated SKR -> simulated
 * MAA -> Core-side verifier (spec attestation-azure.md §1.3(a), §2.2, §5, §6.2).
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { AzureCcSkrProvider, SkrError, waitForSidecar } from '../../src/attestation/azure-cc-provider.ts';
import { AzureCcVerifier } from '../../src/attestation/azure-cc-verifier.ts';
import { MaaSimulator } from '../../src/attestation/sim/maa-service.ts';
import { DEFAULT_SIM_POLICY, SkrSimulator, policyDigest } from '../../src/attestation/sim/skr-sidecar.ts';

const CORE_PUBLIC_URL = 'https://core-integ.uidapi.com';
const ATTEST_URL = Buffer.from(`${CORE_PUBLIC_URL}/attest`, 'utf8');

function freshSpki(): Buffer {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
}

const maa = new MaaSimulator();
const skr = new SkrSimulator({ maaScheme: 'http' });
let verifier: AzureCcVerifier;
let spki: Buffer;

function provider(options: { location?: string } = {}): AzureCcSkrProvider {
  return new AzureCcSkrProvider({ skrUrl: skr.attestMaaUrl, maaBaseUrl: maa.baseUrl, ...options });
}

async function attest(options: { location?: string; userData?: Buffer; coreSpki?: Buffer } = {}) {
  const request = await provider(options).getAttestationRequest(spki, options.userData ?? ATTEST_URL);
  return verifier.verify(request, options.coreSpki ?? spki);
}

before(async () => {
  await maa.start();
  await skr.start();
  spki = freshSpki();
});

after(async () => {
  await skr.close();
  await maa.close();
});

beforeEach(() => {
  maa.knobs = {};
  skr.policyText = DEFAULT_SIM_POLICY;
  skr.debuggable = false;
  verifier = new AzureCcVerifier({ maaBaseUrl: maa.baseUrl, corePublicUrl: CORE_PUBLIC_URL });
  verifier.registerEnclave(policyDigest(DEFAULT_SIM_POLICY));
});

test('valid evidence verifies; enclave id is the policy digest and the key is returned', async () => {
  const before = maa.attestCount;
  const result = await attest();
  assert.deepEqual(result, { ok: true, enclaveId: policyDigest(DEFAULT_SIM_POLICY), publicKey: spki });
  assert.equal(maa.attestCount, before + 1);
});

test('the provider sends base64 runtime data with the upstream field order and the MAA host only', async () => {
  const token = (await provider().getAttestationRequest(spki, ATTEST_URL)).toString('ascii');
  const [header, payload] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
  assert.equal(header.alg, 'RS256');
  assert.equal(header.kid, maa.kid);
  assert.equal(header.jku, `${maa.baseUrl}/certs`);
  assert.deepEqual(Object.keys(payload['x-ms-runtime']), ['location', 'publicKey', 'attestationUrl']);
  assert.equal(payload['x-ms-runtime'].location, 'East US');
  assert.equal(payload['x-ms-runtime'].publicKey, spki.toString('base64'));
  assert.equal(Buffer.from(payload['x-ms-runtime'].attestationUrl, 'base64').toString(), `${CORE_PUBLIC_URL}/attest`);
  assert.equal(payload['x-ms-sevsnpvm-reportdata'].length, 128);
  assert.ok(payload['x-ms-sevsnpvm-reportdata'].endsWith('0'.repeat(64)));
  assert.equal(payload.iss, maa.baseUrl);
});

test('a policy that is not registered is FORBIDDEN_ENCLAVE', async () => {
  skr.policyText = `${DEFAULT_SIM_POLICY}# tampered\n`;
  const result = await attest();
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.failure, 'FORBIDDEN_ENCLAVE');
});

test('unregistering an enclave id forbids it again', async () => {
  verifier.unregisterEnclave(policyDigest(DEFAULT_SIM_POLICY));
  const result = await attest();
  assert.equal(!result.ok && result.failure, 'FORBIDDEN_ENCLAVE');
  assert.deepEqual(verifier.allowlist(), []);
});

test('a debuggable UVM is BAD_FORMAT', async () => {
  skr.debuggable = true;
  const result = await attest();
  assert.equal(!result.ok && result.failure, 'BAD_FORMAT');
});

test('a different public key at Core is BAD_FORMAT', async () => {
  const result = await attest({ coreSpki: freshSpki() });
  assert.equal(!result.ok && result.failure, 'BAD_FORMAT');
});

test('Europe and China locations are BAD_PAYLOAD', async () => {
  const europe = await attest({ location: 'West Europe' });
  assert.equal(!europe.ok && europe.failure, 'BAD_PAYLOAD');
  maa.knobs = { location: 'China North 3' };
  const china = await attest();
  assert.equal(!china.ok && china.failure, 'BAD_PAYLOAD');
});

test('an attestation URL on another host is UNKNOWN_ATTESTATION_URL', async () => {
  const result = await attest({ userData: Buffer.from('https://core.attacker.example/attest') });
  assert.equal(!result.ok && result.failure, 'UNKNOWN_ATTESTATION_URL');
  const otherPort = await attest({ userData: Buffer.from('https://core-integ.uidapi.com:8443/attest') });
  assert.equal(!otherPort.ok && otherPort.failure, 'UNKNOWN_ATTESTATION_URL');
});

test('wrong compliance status or attestation type is BAD_FORMAT', async () => {
  maa.knobs = { complianceStatus: 'azure-signed-katacc-uvm' };
  const compliance = await attest();
  assert.equal(!compliance.ok && compliance.failure, 'BAD_FORMAT');
  maa.knobs = { attestationType: 'sgx' };
  const type = await attest();
  assert.equal(!type.ok && type.failure, 'BAD_FORMAT');
});

for (const [name, knobs] of [
  ['a token signed by another key (forged)', { signWithForeignKey: true }],
  ['an expired token', { expired: true }],
  ['a token with an unknown kid', { unknownKid: true }],
  ['a token from another issuer', { issuer: 'https://sharedeus.eus.attest.azure.net' }],
] as const) {
  test(`${name} is BAD_PAYLOAD`, async () => {
    maa.knobs = { ...knobs };
    const result = await attest();
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.failure, 'BAD_PAYLOAD');
  });
}

test('a token without x-ms-runtime or is-debuggable is a failure, not a crash', async () => {
  for (const claim of ['x-ms-runtime', 'x-ms-sevsnpvm-is-debuggable', 'x-ms-sevsnpvm-hostdata']) {
    maa.knobs = { omitClaims: [claim] };
    const result = await attest();
    assert.equal(!result.ok && result.failure, 'BAD_FORMAT', claim);
  }
});

test('garbage evidence is BAD_PAYLOAD', async () => {
  for (const bytes of [Buffer.from([0]), Buffer.from('a.b'), Buffer.from('e30.e30.'), Buffer.from('e30.e30.AAAA'), Buffer.alloc(100_000, 0x41)]) {
    const result = await verifier.verify(bytes, spki);
    assert.equal(!result.ok && result.failure, 'BAD_PAYLOAD');
  }
});

test('an unreachable MAA /certs is INTERNAL_ERROR (retryable), and the token jku is not followed', async () => {
  const elsewhere = new AzureCcVerifier({ maaBaseUrl: 'http://127.0.0.1:1', corePublicUrl: CORE_PUBLIC_URL });
  elsewhere.registerEnclave(policyDigest(DEFAULT_SIM_POLICY));
  const request = await provider().getAttestationRequest(spki, ATTEST_URL);
  const result = await elsewhere.verify(request, spki);
  assert.equal(!result.ok && result.failure, 'INTERNAL_ERROR');
});

test('SKR down: the provider fails with SKR_UNREACHABLE', async () => {
  const down = new AzureCcSkrProvider({ skrUrl: 'http://127.0.0.1:1/attest/maa', maaBaseUrl: maa.baseUrl });
  await assert.rejects(down.getAttestationRequest(spki, ATTEST_URL), (err: unknown) => err instanceof SkrError && err.code === 'SKR_UNREACHABLE');
});

test('MAA rejection: SKR answers 403 {"error"}{"token":""} and the provider fails on the status', async () => {
  maa.knobs = { rejectWithStatus: 400 };
  const runtime = Buffer.from(JSON.stringify({ location: 'East US', publicKey: 'x', attestationUrl: 'y' })).toString('base64');
  const raw = await fetch(skr.attestMaaUrl, {
    method: 'POST',
    body: JSON.stringify({ maa_endpoint: new URL(maa.baseUrl).host, runtime_data: runtime }),
  });
  const text = await raw.text();
  assert.equal(raw.status, 403);
  assert.match(text, /^\{"error":"[^"]+"\}\{"token":""\}$/);
  await assert.rejects(
    provider().getAttestationRequest(spki, ATTEST_URL),
    (err: unknown) => err instanceof SkrError && err.code === 'SKR_HTTP_STATUS' && err.status === 403,
  );
});

test('SKR: bad bodies are 400 {"error"}, /status is {"message":"Status OK"}', async () => {
  for (const body of ['not json', '{"maa_endpoint":"x"}', '{"maa_endpoint":"x","runtime_data":"***"}', '{"runtime_data":"e30="}']) {
    const res = await fetch(skr.attestMaaUrl, { method: 'POST', body });
    assert.equal(res.status, 400, body);
    assert.equal(typeof ((await res.json()) as { error: unknown }).error, 'string');
  }
  const status = await fetch(`${skr.baseUrl}/status`);
  assert.deepEqual(await status.json(), { message: 'Status OK' });
});

test('MAA refuses runtime data whose hash is not in REPORT_DATA', async () => {
  const raw = await fetch(`${skr.baseUrl}/attest/raw`, { method: 'POST', body: JSON.stringify({ runtime_data: Buffer.from('{"a":1}').toString('base64') }) });
  const report = Buffer.from(((await raw.json()) as { report: string }).report, 'hex');
  assert.equal(report.length, 1184);
  const evidence = Buffer.from(JSON.stringify({ SnpReport: report.toString('base64url') })).toString('base64url');
  const res = await fetch(`${maa.baseUrl}/attest/SevSnpVm?api-version=2020-10-01`, {
    method: 'POST',
    body: JSON.stringify({ report: evidence, runtimeData: { data: Buffer.from('{"a":2}').toString('base64url'), dataType: 'JSON' } }),
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'InvalidParameter');
});

test('waitForSidecar: ready at once, or gives up after bounded linear back-off', async () => {
  assert.equal(await waitForSidecar({ baseUrl: skr.baseUrl }), 1);
  const waits: number[] = [];
  await assert.rejects(
    waitForSidecar({ baseUrl: 'http://127.0.0.1:1', attempts: 4, stepMs: 10, sleep: async (ms) => void waits.push(ms) }),
    (err: unknown) => err instanceof SkrError && err.code === 'SKR_NOT_READY',
  );
  assert.deepEqual(waits, [10, 20, 30]);
});

test('startAzureCcSimulation wires provider and verifier options for a stack', async () => {
  const { startAzureCcSimulation } = await import('../../src/attestation/sim/azure-cc-simulation.ts');
  const sim = await startAzureCcSimulation({ policyText: 'package stack-policy\n' });
  try {
    const core = new AzureCcVerifier({ maaBaseUrl: sim.maaBaseUrl, corePublicUrl: CORE_PUBLIC_URL });
    core.registerEnclave(sim.enclaveId);
    const request = await new AzureCcSkrProvider(sim.providerOptions).getAttestationRequest(spki, ATTEST_URL);
    assert.deepEqual(await core.verify(request, spki), { ok: true, enclaveId: policyDigest('package stack-policy\n'), publicKey: spki });
  } finally {
    await sim.close();
  }
});
