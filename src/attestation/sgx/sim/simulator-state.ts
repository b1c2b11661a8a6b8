/**
 * The SGX simulator's keys saved to one JSON file, so that separate processes (the operator's
 * quote helper, run once per attestation) sign with the same test PKI and attestation key, and
 * Core can be told which root to trust (`sgx_root_ca_pem_path`). Test-only material: the file holds
 * private keys of a throw-away CA and must never be trusted by a production Core.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SgxQuoteGenerator, type TestPckChain } from './sgx-quote-generator.ts';
import type { TestCertificate } from './test-certificate-authority.ts';

interface SavedCertificate {
  subject: string;
  pem: string;
  key: string;
}

export interface SimulatorStateJson {
  format: 'uid2-sgx-simulator/1';
  root: SavedCertificate;
  intermediate: SavedCertificate;
  leaf: SavedCertificate;
  attestationKey: string;
}

export class SimulatorStateError extends Error {
  override readonly name = 'SimulatorStateError';
}

const pkcs8 = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }).toString();

function saveCertificate(c: TestCertificate): SavedCertificate {
  return { subject: c.subject, pem: c.pem, key: pkcs8(c.privateKey) };
}

function loadCertificate(c: SavedCertificate): TestCertificate {
  const body = c.pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
  return { subject: c.subject, pem: c.pem, der: Buffer.from(body, 'base64'), privateKey: createPrivateKey(c.key) };
}

export function saveSimulatorState(generator: SgxQuoteGenerator): SimulatorStateJson {
  const { root, intermediate, leaf } = generator.pki;
  return {
    format: 'uid2-sgx-simulator/1',
    root: saveCertificate(root),
    intermediate: saveCertificate(intermediate),
    leaf: saveCertificate(leaf),
    attestationKey: pkcs8(generator.attestationKey),
  };
}

export function loadSimulatorState(json: unknown): SgxQuoteGenerator {
  const s = json as Partial<SimulatorStateJson> | null;
  if (!s || s.format !== 'uid2-sgx-simulator/1' || !s.root || !s.intermediate || !s.leaf || typeof s.attestationKey !== 'string') {
    throw new SimulatorStateError('not an SGX simulator state file (uid2 sgx sim-init)');
  }
  try {
    const root = loadCertificate(s.root);
    const intermediate = loadCertificate(s.intermediate);
    const leaf = loadCertificate(s.leaf);
    const pki: TestPckChain = { root, intermediate, leaf, chainPem: leaf.pem + intermediate.pem + root.pem };
    return new SgxQuoteGenerator(pki, createPrivateKey(s.attestationKey));
  } catch {
    throw new SimulatorStateError('SGX simulator state file holds an unreadable key or certificate');
  }
}
