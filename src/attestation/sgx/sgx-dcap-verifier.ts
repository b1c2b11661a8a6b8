/**
 * Core-side verifier for protocol "azure-sgx": checks a raw Intel SGX DCAP v3 quote itself
 * (spec §2.5, §6.2) instead of delegating to MAA as the legacy Java code did (§2.4).
 *
 * Checks, in order, and the AttestationFailure each maps to:
 *  1. the quote parses as v3 / ECDSA-P256 with PCK chain certification data ....... BAD_FORMAT
 *  2. the quote signature (attestation key, over bytes [0,432)) .................. BAD_PAYLOAD
 *  3. the PCK chain verifies up to a configured root, within validity dates ...... BAD_CERTIFICATE
 *  4. the QE report signature by the PCK certificate's key ....................... BAD_PAYLOAD
 *  5. QE REPORTDATA == SHA-256(attestation key ‖ auth data) ‖ 0^32 ................ BAD_PAYLOAD
 *  6. not a debug enclave; ISVPRODID == 770; ISVSVN >= 2; MRSIGNER allowed ........ FORBIDDEN_ENCLAVE
 *  7. REPORTDATA == SHA-256(SPKI public key) ‖ 0^32 ................................ BAD_PAYLOAD
 *  8. MRENCLAVE (lowercase hex) is registered ..................................... FORBIDDEN_ENCLAVE
 * The enclave id on success is the MRENCLAVE in lowercase hex, as upstream registered it (§2.4).
 *
 * ISVSVN policy: a floor (`>= minIsvSvn`, default 2), not the legacy `== 2`. An SVN only grows
 * when the enclave is rebuilt with a security fix, so a floor is SGX's intended use; the exact
 * build is pinned anyway by the MRENCLAVE allow-list, which an SVN bump does not bypass.
 * MRSIGNER is optional because upstream signed each build with an ephemeral key (§2.4).
 */
import { createHash, timingSafeEqual, X509Certificate } from 'node:crypto';
import type { AttestationFailure, AttestationVerifier, VerificationResult } from '../types.ts';
import { CERT_TYPE_PCK_CHAIN_PEM, DcapQuoteError, decodeDcapQuote, type DcapQuote } from './dcap-quote.ts';
import { INTEL_SGX_ROOT_CA_PEM } from './intel-sgx-root-ca.ts';
import { decodeRawP256PublicKey, verifyP256Raw } from './p256-raw-key.ts';
import { parsePemCertificates, verifyPckChain } from './pck-cert-chain.ts';
import { REPORT_DATA_SIZE, isDebugEnclave, reportDataForPublicKey } from './sgx-report-body.ts';

export const SGX_PROTOCOL = 'azure-sgx';
/** Occlum.json `metadata.product_id` and `version_number` of the UID2 operator enclave (§3.4). */
export const UID2_ENCLAVE_PRODUCT_ID = 770;
export const UID2_ENCLAVE_MIN_SVN = 2;

export interface SgxDcapVerifierOptions {
  /** PEM text of the trusted root certificate(s); default: Intel SGX Root CA. */
  trustedRootsPem?: string | readonly string[];
  productId?: number;
  minIsvSvn?: number;
  /** Accept enclaves with the DEBUG attribute. Never in production; default false. */
  allowDebug?: boolean;
  /** MRSIGNER allow-list (hex); empty or absent = MRSIGNER is not checked. */
  allowedSigners?: Iterable<string>;
  /** Clock for certificate validity; default `Date.now`. */
  now?: () => number;
}

type Check = { failure: AttestationFailure; detail: string } | undefined;

const HEX_ID = /^[0-9a-f]{64}$/;

function normalizeMeasurement(id: string): string {
  const lower = id.trim().toLowerCase();
  if (!HEX_ID.test(lower)) throw new TypeError('an SGX measurement is 64 hex characters');
  return lower;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export class SgxDcapVerifier implements AttestationVerifier {
  readonly protocol = SGX_PROTOCOL;
  private readonly enclaves = new Set<string>();
  private readonly signers: Set<string>;
  private readonly roots: X509Certificate[];
  private readonly productId: number;
  private readonly minIsvSvn: number;
  private readonly allowDebug: boolean;
  private readonly now: () => number;

  constructor(options: SgxDcapVerifierOptions = {}) {
    const pems = options.trustedRootsPem ?? INTEL_SGX_ROOT_CA_PEM;
    this.roots = (typeof pems === 'string' ? [pems] : pems).flatMap((p) => parsePemCertificates(p));
    if (this.roots.length === 0) throw new TypeError('SgxDcapVerifier needs at least one trusted root certificate');
    this.signers = new Set([...(options.allowedSigners ?? [])].map(normalizeMeasurement));
    this.productId = options.productId ?? UID2_ENCLAVE_PRODUCT_ID;
    this.minIsvSvn = options.minIsvSvn ?? UID2_ENCLAVE_MIN_SVN;
    this.allowDebug = options.allowDebug ?? false;
    this.now = options.now ?? Date.now;
  }

  /** Registers an MRENCLAVE (hex, any case); ids are kept lowercase as upstream did (§2.4). */
  registerEnclave(id: string): void {
    this.enclaves.add(normalizeMeasurement(id));
  }

  unregisterEnclave(id: string): void {
    try {
      this.enclaves.delete(normalizeMeasurement(id));
    } catch {
      // An id that could never have been registered: nothing to remove.
    }
  }

  async verify(request: Buffer, publicKeySpki: Buffer): Promise<VerificationResult> {
    let quote: DcapQuote;
    try {
      quote = decodeDcapQuote(request);
    } catch (err) {
      const detail = err instanceof DcapQuoteError ? err.message : 'malformed quote';
      return { ok: false, failure: 'BAD_FORMAT', detail };
    }
    const problem =
      this.checkFormat(quote) ??
      this.checkQuoteSignature(quote) ??
      this.checkQuotingEnclave(quote) ??
      this.checkEnclavePolicy(quote) ??
      this.checkReportData(quote, publicKeySpki);
    if (problem) return { ok: false, ...problem };

    const mrEnclave = quote.reportBody.mrEnclave.toString('hex');
    if (!this.enclaves.has(mrEnclave)) return { ok: false, failure: 'FORBIDDEN_ENCLAVE', detail: 'MRENCLAVE not registered' };
    return { ok: true, enclaveId: mrEnclave, publicKey: publicKeySpki };
  }

  private checkFormat(quote: DcapQuote): Check {
    if (quote.certificationDataType !== CERT_TYPE_PCK_CHAIN_PEM) {
      return { failure: 'BAD_FORMAT', detail: `unsupported certification data type ${quote.certificationDataType}` };
    }
    return undefined;
  }

  private checkQuoteSignature(quote: DcapQuote): Check {
    let ok = false;
    try {
      ok = verifyP256Raw(quote.signedPart, quote.quoteSignature, decodeRawP256PublicKey(quote.attestationKey));
    } catch {
      return { failure: 'BAD_PAYLOAD', detail: 'attestation key is not a P-256 point' };
    }
    return ok ? undefined : { failure: 'BAD_PAYLOAD', detail: 'quote signature does not verify' };
  }

  /** The PCK chain, the QE report signature, and the QE's binding of the attestation key. */
  private checkQuotingEnclave(quote: DcapQuote): Check {
    const chain = verifyPckChain(quote.certificationData, this.roots, this.now());
    if (!chain.ok) return { failure: 'BAD_CERTIFICATE', detail: chain.detail };
    if (!verifyP256Raw(quote.qeReportBody, quote.qeReportSignature, chain.leaf.publicKey)) {
      return { failure: 'BAD_PAYLOAD', detail: 'QE report signature does not verify' };
    }
    const expected = Buffer.alloc(REPORT_DATA_SIZE);
    createHash('sha256').update(quote.attestationKey).update(quote.authData).digest().copy(expected);
    if (!sameBytes(quote.qeReport.reportData, expected)) {
      return { failure: 'BAD_PAYLOAD', detail: 'QE report does not bind the attestation key' };
    }
    return undefined;
  }

  private checkEnclavePolicy(quote: DcapQuote): Check {
    const body = quote.reportBody;
    if (!this.allowDebug && isDebugEnclave(body)) return { failure: 'FORBIDDEN_ENCLAVE', detail: 'debug enclave' };
    if (body.isvProdId !== this.productId) return { failure: 'FORBIDDEN_ENCLAVE', detail: `ISVPRODID ${body.isvProdId}` };
    if (body.isvSvn < this.minIsvSvn) return { failure: 'FORBIDDEN_ENCLAVE', detail: `ISVSVN ${body.isvSvn}` };
    if (this.signers.size > 0 && !this.signers.has(body.mrSigner.toString('hex'))) {
      return { failure: 'FORBIDDEN_ENCLAVE', detail: 'MRSIGNER not allowed' };
    }
    return undefined;
  }

  private checkReportData(quote: DcapQuote, publicKeySpki: Buffer): Check {
    if (!sameBytes(quote.reportBody.reportData, reportDataForPublicKey(publicKeySpki))) {
      return { failure: 'BAD_PAYLOAD', detail: 'REPORTDATA does not match the public key' };
    }
    return undefined;
  }
}
