/** The SGX simulator's saved state: quotes from a reloaded generator verify against the saved root. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { SgxDcapVerifier } from '../../src/attestation/sgx/sgx-dcap-verifier.ts';
import { SIMULATED_MRENCLAVE, SgxQuoteGenerator } from '../../src/attestation/sgx/sim/sgx-quote-generator.ts';
import { loadSimulatorState, saveSimulatorState, SimulatorStateError } from '../../src/attestation/sgx/sim/simulator-state.ts';

const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });

test('a generator reloaded from JSON signs with the same PKI and attestation key', async () => {
  const original = new SgxQuoteGenerator();
  const reloaded = loadSimulatorState(JSON.parse(JSON.stringify(saveSimulatorState(original))));
  assert.equal(reloaded.rootPem, original.rootPem);
  const verifier = new SgxDcapVerifier({ trustedRootsPem: original.rootPem });
  verifier.registerEnclave(SIMULATED_MRENCLAVE);
  const result = await verifier.verify(reloaded.generate({ publicKeySpki: spki }), spki);
  assert.deepEqual(result, { ok: true, enclaveId: SIMULATED_MRENCLAVE, publicKey: spki });
  // Another simulator's quotes do not chain to this root.
  const foreign = await verifier.verify(new SgxQuoteGenerator().generate({ publicKeySpki: spki }), spki);
  assert.equal(!foreign.ok && foreign.failure, 'BAD_CERTIFICATE');
});

test('anything else is refused with SimulatorStateError', () => {
  const saved = saveSimulatorState(new SgxQuoteGenerator());
  for (const bad of [null, {}, { ...saved, format: 'x' }, { ...saved, attestationKey: 'not a key' }, { ...saved, leaf: { ...saved.leaf, key: '' } }]) {
    assert.throws(() => loadSimulatorState(bad), SimulatorStateError);
  }
});
