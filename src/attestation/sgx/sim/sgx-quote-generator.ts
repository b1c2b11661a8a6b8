/**
 * Simulated Intel SGX DCAP quoting (spec §6.2): produces v3 quotes that `SgxDcapVerifier`
 * checks exactly as it checks real ones, signed by a test PKI instead of Intel's.
 *
 *  - a test PCK chain: root CA -> intermediate CA -> PCK leaf (P-256), in certification data type 5;
 *  - a QE report signed by the PCK leaf key, whose REPORTDATA binds the attestation key:
 *    SHA-256(attestation key x‖y ‖ auth data) ‖ 0^32;
 *  - an attestation key that signs the quote's header and ISV report body (bytes [0,432)).
 *
 * Knobs set what a real enclave could not choose (MRENCLAVE, debug flag, ...) so tests can build
 * every negative case.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { CERT_TYPE_PCK_CHAIN_PEM, encodeDcapQuote, encodeQuoteSignedPart } from '../dcap-quote.ts';
import { encodeRawP256PublicKey, signP256Raw } from '../p256-raw-key.ts';
import {
  ATTRIBUTE_FLAG_DEBUG,
  ATTRIBUTE_FLAGS_PRODUCTION,
  REPORT_DATA_SIZE,
  encodeReportBody,
  reportDataForPublicKey,
} from '../sgx-report-body.ts';
import { UID2_ENCLAVE_MIN_SVN, UID2_ENCLAVE_PRODUCT_ID } from '../sgx-dcap-verifier.ts';
import { generateP256KeyPair, issueCertificate, type TestCertificate } from './test-certificate-authority.ts';

const DAY_MS = 86_400_000;

/** Measurements of the simulated operator enclave when no knob overrides them. */
export const SIMULATED_MRENCLAVE = createHash('sha256').update('uid2-operator simulated enclave').digest('hex');
export const SIMULATED_MRSIGNER = createHash('sha256').update('uid2-operator simulated signer').digest('hex');

export interface TestPckChainOptions {
  /** Validity of every certificate; default now - 1 day .. now + 365 days. */
  notBefore?: Date;
  notAfter?: Date;
  /** Overrides for the PCK leaf alone (e.g. an expired leaf under a valid CA). */
  leafNotBefore?: Date;
  leafNotAfter?: Date;
}

export interface TestPckChain {
  readonly root: TestCertificate;
  readonly intermediate: TestCertificate;
  readonly leaf: TestCertificate;
  /** Leaf, intermediate, root: the certification data of a quote. */
  readonly chainPem: string;
}

export function createTestPckChain(options: TestPckChainOptions = {}, nowMs = Date.now()): TestPckChain {
  const notBefore = options.notBefore ?? new Date(nowMs - DAY_MS);
  const notAfter = options.notAfter ?? new Date(nowMs + 365 * DAY_MS);
  const root = issueCertificate({ commonName: 'Simulated SGX Root CA', isCa: true, notBefore, notAfter });
  const intermediate = issueCertificate({ commonName: 'Simulated SGX PCK Processor CA', isCa: true, notBefore, notAfter, issuer: root });
  const leaf = issueCertificate({
    commonName: 'Simulated SGX PCK Certificate',
    isCa: false,
    notBefore: options.leafNotBefore ?? notBefore,
    notAfter: options.leafNotAfter ?? notAfter,
    issuer: intermediate,
  });
  return { root, intermediate, leaf, chainPem: leaf.pem + intermediate.pem + root.pem };
}

export interface QuoteKnobs {
  /** Hex or bytes; default SIMULATED_MRENCLAVE. */
  mrEnclave?: string | Buffer;
  mrSigner?: string | Buffer;
  isvProdId?: number;
  isvSvn?: number;
  debug?: boolean;
  /** The 64-byte REPORTDATA; wins over `publicKeySpki`. */
  reportData?: Buffer;
  /** Sets REPORTDATA = SHA-256(spki) ‖ 0^32, as the operator enclave does. */
  publicKeySpki?: Buffer;
  /** QE auth data; default 32 bytes 0..31 as Intel's QE emits. */
  authData?: Buffer;
  /** Breaks the QE binding: the QE REPORTDATA no longer hashes the attestation key. */
  unboundAttestationKey?: boolean;
  /** Replaces the certification data (a tampered or foreign chain). */
  chainPem?: string;
}

function measurement(value: string | Buffer | undefined, fallback: string): Buffer {
  const buf = value === undefined ? Buffer.from(fallback, 'hex') : typeof value === 'string' ? Buffer.from(value, 'hex') : value;
  if (buf.length !== 32) throw new RangeError('an SGX measurement is 32 bytes');
  return buf;
}

export class SgxQuoteGenerator {
  readonly attestationKey: KeyObject;

  /** `attestationKey`: reuse a saved key (see `simulator-state.ts`); default a fresh one. */
  constructor(
    readonly pki: TestPckChain = createTestPckChain(),
    attestationKey?: KeyObject,
  ) {
    this.attestationKey = attestationKey ?? generateP256KeyPair().privateKey;
  }

  /** PEM of the root the verifier must trust for these quotes. */
  get rootPem(): string {
    return this.pki.root.pem;
  }

  generate(knobs: QuoteKnobs = {}): Buffer {
    const reportData = knobs.reportData ?? (knobs.publicKeySpki ? reportDataForPublicKey(knobs.publicKeySpki) : Buffer.alloc(REPORT_DATA_SIZE));
    const body = encodeReportBody({
      attributesFlags: knobs.debug ? ATTRIBUTE_FLAGS_PRODUCTION | ATTRIBUTE_FLAG_DEBUG : ATTRIBUTE_FLAGS_PRODUCTION,
      attributesXfrm: 0x3n,
      mrEnclave: measurement(knobs.mrEnclave, SIMULATED_MRENCLAVE),
      mrSigner: measurement(knobs.mrSigner, SIMULATED_MRSIGNER),
      isvProdId: knobs.isvProdId ?? UID2_ENCLAVE_PRODUCT_ID,
      isvSvn: knobs.isvSvn ?? UID2_ENCLAVE_MIN_SVN,
      reportData,
    });
    const signedPart = encodeQuoteSignedPart({ qeSvn: 8, pceSvn: 13 }, body);
    const attestationKey = encodeRawP256PublicKey(this.attestationKey);
    const authData = knobs.authData ?? Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const qeReportBody = this.quotingEnclaveReport(knobs.unboundAttestationKey ? Buffer.alloc(64) : attestationKey, authData);
    return encodeDcapQuote(signedPart, {
      quoteSignature: signP256Raw(signedPart, this.attestationKey),
      attestationKey,
      qeReportBody,
      qeReportSignature: signP256Raw(qeReportBody, this.pki.leaf.privateKey),
      authData,
      certificationDataType: CERT_TYPE_PCK_CHAIN_PEM,
      certificationData: Buffer.from(knobs.chainPem ?? this.pki.chainPem, 'latin1'),
    });
  }

  /** The QE's own report: fixed Intel-like identity, REPORTDATA binding the attestation key. */
  private quotingEnclaveReport(attestationKey: Buffer, authData: Buffer): Buffer {
    const binding = Buffer.alloc(REPORT_DATA_SIZE);
    createHash('sha256').update(attestationKey).update(authData).digest().copy(binding);
    return encodeReportBody({
      mrEnclave: createHash('sha256').update('simulated quoting enclave').digest(),
      mrSigner: createHash('sha256').update('simulated intel signer').digest(),
      isvProdId: 1,
      isvSvn: 8,
      reportData: binding,
    });
  }
}
