/**
 * Intel SGX DCAP ECDSA quote, version 3 (spec attestation-azure.md §2.5; intel/SGXDataCenter-
 * AttestationPrimitives `quote_wrapper/common/inc/sgx_quote_3.h`). Integers little-endian,
 * offsets absolute.
 *
 * | off | len | field                                                   |
 * | 0   | 2   | version (= 3)                                           |
 * | 2   | 2   | att_key_type (2 = ECDSA-P256)                           |
 * | 4   | 4   | att_key_data_0 (reserved in v3)                         |
 * | 8   | 2   | qe_svn                                                  |
 * | 10  | 2   | pce_svn                                                 |
 * | 12  | 16  | qe vendor id (Intel 939A7233F79C4CA9940A0DB3957F0607)   |
 * | 28  | 20  | user_data                                               |
 * | 48  | 384 | ISV enclave report body (sgx-report-body.ts)            |
 * | 432 | 4   | signature_data_len (u32)                                |
 * | 436 | var | ECDSA signature data, below                             |
 *
 * Signature data (`sgx_ql_ecdsa_sig_data_t`), offsets relative to 436:
 *
 * | off  | len | field                                                  |
 * | 0    | 64  | quote signature r‖s (big-endian) over quote bytes [0,432) |
 * | 64   | 64  | attestation public key x‖y (P-256)                     |
 * | 128  | 384 | QE report body                                         |
 * | 512  | 64  | QE report signature r‖s by the PCK certificate's key   |
 * | 576  | 2   | auth_data_size (u16), then auth data                   |
 * | ...  | 2   | certification data type (u16; 5 = PCK cert chain PEM) |
 * | ...  | 4   | certification data size (u32), then the data           |
 */
import { REPORT_BODY_SIZE, decodeReportBody, type SgxReportBody } from './sgx-report-body.ts';

export const QUOTE_VERSION_3 = 3;
export const ATT_KEY_TYPE_ECDSA_P256 = 2;
export const CERT_TYPE_PCK_CHAIN_PEM = 5;
export const INTEL_QE_VENDOR_ID = Buffer.from('939a7233f79c4ca9940a0db3957f0607', 'hex');

/** [offset, length] of the fixed header fields. */
export const QUOTE_HEADER_LAYOUT = {
  version: [0, 2],
  attKeyType: [2, 2],
  attKeyData0: [4, 4],
  qeSvn: [8, 2],
  pceSvn: [10, 2],
  qeVendorId: [12, 16],
  userData: [28, 20],
} as const satisfies Record<string, readonly [number, number]>;

export const QUOTE_HEADER_SIZE = 48;
export const REPORT_BODY_OFFSET = 48;
/** The quote signature covers the header and the ISV report body: bytes [0, 432). */
export const SIGNED_PART_SIZE = QUOTE_HEADER_SIZE + REPORT_BODY_SIZE;
export const SIGNATURE_DATA_LEN_OFFSET = SIGNED_PART_SIZE;
export const SIGNATURE_DATA_OFFSET = SIGNATURE_DATA_LEN_OFFSET + 4;

/** Offsets relative to the start of the signature data. */
export const SIGNATURE_DATA_LAYOUT = {
  quoteSignature: [0, 64],
  attestationKey: [64, 64],
  qeReportBody: [128, REPORT_BODY_SIZE],
  qeReportSignature: [512, 64],
  authDataSize: [576, 2],
} as const satisfies Record<string, readonly [number, number]>;

const FIXED_SIGNATURE_DATA_SIZE = 578;
/** A sane ceiling: real quotes are ~4-5 KiB; certification data is a PEM chain of ~3.5 KiB. */
export const MAX_QUOTE_SIZE = 64 * 1024;

export class DcapQuoteError extends Error {
  override readonly name = 'DcapQuoteError';
}

export interface QuoteHeader {
  version: number;
  attKeyType: number;
  qeSvn: number;
  pceSvn: number;
  qeVendorId: Buffer;
  userData: Buffer;
}

export interface QuoteSignatureData {
  quoteSignature: Buffer;
  attestationKey: Buffer;
  qeReportBody: Buffer;
  qeReportSignature: Buffer;
  authData: Buffer;
  certificationDataType: number;
  certificationData: Buffer;
}

export interface DcapQuote extends QuoteHeader, QuoteSignatureData {
  reportBody: SgxReportBody;
  qeReport: SgxReportBody;
  /** Bytes [0, 432): what the attestation key signed. */
  signedPart: Buffer;
}

function slice(buf: Buffer, off: number, len: number): Buffer {
  return Buffer.from(buf.subarray(off, off + len));
}

/** Parses a v3 quote. Throws `DcapQuoteError` on any structural problem; checks no signature. */
export function decodeDcapQuote(quote: Buffer): DcapQuote {
  if (quote.length > MAX_QUOTE_SIZE) throw new DcapQuoteError('quote too large');
  if (quote.length < SIGNATURE_DATA_OFFSET + FIXED_SIGNATURE_DATA_SIZE + 6) throw new DcapQuoteError('quote too short');
  const H = QUOTE_HEADER_LAYOUT;
  const version = quote.readUInt16LE(H.version[0]);
  if (version !== QUOTE_VERSION_3) throw new DcapQuoteError(`unsupported quote version ${version}`);
  const attKeyType = quote.readUInt16LE(H.attKeyType[0]);
  if (attKeyType !== ATT_KEY_TYPE_ECDSA_P256) throw new DcapQuoteError(`unsupported attestation key type ${attKeyType}`);

  const sigLen = quote.readUInt32LE(SIGNATURE_DATA_LEN_OFFSET);
  if (sigLen !== quote.length - SIGNATURE_DATA_OFFSET) throw new DcapQuoteError('signature_data_len does not match the quote size');
  const sig = quote.subarray(SIGNATURE_DATA_OFFSET);
  const S = SIGNATURE_DATA_LAYOUT;

  const authSize = sig.readUInt16LE(S.authDataSize[0]);
  const authEnd = FIXED_SIGNATURE_DATA_SIZE + authSize;
  if (authEnd + 6 > sig.length) throw new DcapQuoteError('auth data overruns the quote');
  const certType = sig.readUInt16LE(authEnd);
  const certSize = sig.readUInt32LE(authEnd + 2);
  if (authEnd + 6 + certSize !== sig.length) throw new DcapQuoteError('certification data size does not match the quote');

  const qeReportBody = slice(sig, ...S.qeReportBody);
  return {
    version,
    attKeyType,
    qeSvn: quote.readUInt16LE(H.qeSvn[0]),
    pceSvn: quote.readUInt16LE(H.pceSvn[0]),
    qeVendorId: slice(quote, ...H.qeVendorId),
    userData: slice(quote, ...H.userData),
    reportBody: decodeReportBody(slice(quote, REPORT_BODY_OFFSET, REPORT_BODY_SIZE)),
    signedPart: slice(quote, 0, SIGNED_PART_SIZE),
    quoteSignature: slice(sig, ...S.quoteSignature),
    attestationKey: slice(sig, ...S.attestationKey),
    qeReportBody,
    qeReport: decodeReportBody(qeReportBody),
    qeReportSignature: slice(sig, ...S.qeReportSignature),
    authData: slice(sig, FIXED_SIGNATURE_DATA_SIZE, authSize),
    certificationDataType: certType,
    certificationData: slice(sig, authEnd + 6, certSize),
  };
}

/** Header (48 bytes) followed by an encoded report body: the part the attestation key signs. */
export function encodeQuoteSignedPart(header: Partial<QuoteHeader>, reportBody: Buffer): Buffer {
  if (reportBody.length !== REPORT_BODY_SIZE) throw new RangeError('report body must be 384 bytes');
  const out = Buffer.alloc(SIGNED_PART_SIZE);
  const H = QUOTE_HEADER_LAYOUT;
  out.writeUInt16LE(header.version ?? QUOTE_VERSION_3, H.version[0]);
  out.writeUInt16LE(header.attKeyType ?? ATT_KEY_TYPE_ECDSA_P256, H.attKeyType[0]);
  out.writeUInt16LE(header.qeSvn ?? 0, H.qeSvn[0]);
  out.writeUInt16LE(header.pceSvn ?? 0, H.pceSvn[0]);
  (header.qeVendorId ?? INTEL_QE_VENDOR_ID).copy(out, H.qeVendorId[0]);
  if (header.userData) header.userData.copy(out, H.userData[0], 0, H.userData[1]);
  reportBody.copy(out, REPORT_BODY_OFFSET);
  return out;
}

/** Appends the signature data to a signed part, producing a complete quote. */
export function encodeDcapQuote(signedPart: Buffer, sig: QuoteSignatureData): Buffer {
  if (signedPart.length !== SIGNED_PART_SIZE) throw new RangeError('signed part must be 432 bytes');
  const fixed = Buffer.alloc(FIXED_SIGNATURE_DATA_SIZE);
  const S = SIGNATURE_DATA_LAYOUT;
  const put = (value: Buffer, [off, len]: readonly [number, number]): void => {
    if (value.length !== len) throw new RangeError('signature data field has the wrong size');
    value.copy(fixed, off);
  };
  put(sig.quoteSignature, S.quoteSignature);
  put(sig.attestationKey, S.attestationKey);
  put(sig.qeReportBody, S.qeReportBody);
  put(sig.qeReportSignature, S.qeReportSignature);
  fixed.writeUInt16LE(sig.authData.length, S.authDataSize[0]);
  const certHeader = Buffer.alloc(6);
  certHeader.writeUInt16LE(sig.certificationDataType, 0);
  certHeader.writeUInt32LE(sig.certificationData.length, 2);
  const sigData = Buffer.concat([fixed, sig.authData, certHeader, sig.certificationData]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(sigData.length, 0);
  return Buffer.concat([signedPart, len, sigData]);
}
