/**
 * SGX enclave report body, `sgx_report_body_t` (spec attestation-azure.md §2.5; intel/linux-sgx
 * `common/inc/sgx_report.h`). 384 bytes, integers little-endian. It appears twice in a DCAP v3
 * quote: as the ISV (application) enclave body at quote offset 48 and as the QE report body inside
 * the signature data. Offsets below are relative to the start of the body.
 *
 * | off | len | field                                                        |
 * | 0   | 16  | cpu_svn                                                      |
 * | 16  | 4   | misc_select (u32)                                            |
 * | 20  | 28  | reserved (12 reserved + 16 isv_ext_prod_id in newer SDKs)    |
 * | 48  | 16  | attributes: flags (u64), then xfrm (u64); flags bit 1 = DEBUG |
 * | 64  | 32  | MRENCLAVE                                                    |
 * | 96  | 32  | reserved                                                     |
 * | 128 | 32  | MRSIGNER                                                     |
 * | 160 | 96  | reserved (config id etc. in newer SDKs)                      |
 * | 256 | 2   | ISVPRODID (u16)                                              |
 * | 258 | 2   | ISVSVN (u16)                                                 |
 * | 260 | 60  | reserved                                                     |
 * | 320 | 64  | REPORTDATA                                                   |
 */
import { createHash } from 'node:crypto';

export const REPORT_BODY_SIZE = 384;
export const REPORT_DATA_SIZE = 64;

/** [offset, length] of each field, relative to the body. */
export const REPORT_BODY_LAYOUT = {
  cpuSvn: [0, 16],
  miscSelect: [16, 4],
  attributesFlags: [48, 8],
  attributesXfrm: [56, 8],
  mrEnclave: [64, 32],
  mrSigner: [128, 32],
  isvProdId: [256, 2],
  isvSvn: [258, 2],
  reportData: [320, 64],
} as const satisfies Record<string, readonly [number, number]>;

/** SGX_FLAGS_DEBUG: the enclave was launched in debug mode, so its memory is readable. */
export const ATTRIBUTE_FLAG_DEBUG = 0x2n;
/** SGX_FLAGS_INITTED | SGX_FLAGS_MODE64BIT: what a normal production enclave reports. */
export const ATTRIBUTE_FLAGS_PRODUCTION = 0x5n;

export interface SgxReportBody {
  cpuSvn: Buffer;
  miscSelect: number;
  attributesFlags: bigint;
  attributesXfrm: bigint;
  mrEnclave: Buffer;
  mrSigner: Buffer;
  isvProdId: number;
  isvSvn: number;
  reportData: Buffer;
}

function field(body: Buffer, name: keyof typeof REPORT_BODY_LAYOUT): Buffer {
  const [off, len] = REPORT_BODY_LAYOUT[name];
  return Buffer.from(body.subarray(off, off + len));
}

/** Reads a 384-byte report body. The caller guarantees the length (the quote parser checks it). */
export function decodeReportBody(body: Buffer): SgxReportBody {
  if (body.length !== REPORT_BODY_SIZE) throw new RangeError('SGX report body must be 384 bytes');
  const L = REPORT_BODY_LAYOUT;
  return {
    cpuSvn: field(body, 'cpuSvn'),
    miscSelect: body.readUInt32LE(L.miscSelect[0]),
    attributesFlags: body.readBigUInt64LE(L.attributesFlags[0]),
    attributesXfrm: body.readBigUInt64LE(L.attributesXfrm[0]),
    mrEnclave: field(body, 'mrEnclave'),
    mrSigner: field(body, 'mrSigner'),
    isvProdId: body.readUInt16LE(L.isvProdId[0]),
    isvSvn: body.readUInt16LE(L.isvSvn[0]),
    reportData: field(body, 'reportData'),
  };
}

/** Writes a report body; unspecified fields and all reserved bytes are zero. */
export function encodeReportBody(fields: Partial<SgxReportBody>): Buffer {
  const out = Buffer.alloc(REPORT_BODY_SIZE);
  const L = REPORT_BODY_LAYOUT;
  const put = (name: keyof typeof REPORT_BODY_LAYOUT, value: Buffer | undefined): void => {
    if (value === undefined) return;
    const [off, len] = L[name];
    if (value.length !== len) throw new RangeError(`${name} must be ${len} bytes`);
    value.copy(out, off);
  };
  put('cpuSvn', fields.cpuSvn);
  out.writeUInt32LE(fields.miscSelect ?? 0, L.miscSelect[0]);
  out.writeBigUInt64LE(fields.attributesFlags ?? ATTRIBUTE_FLAGS_PRODUCTION, L.attributesFlags[0]);
  out.writeBigUInt64LE(fields.attributesXfrm ?? 0n, L.attributesXfrm[0]);
  put('mrEnclave', fields.mrEnclave);
  put('mrSigner', fields.mrSigner);
  out.writeUInt16LE(fields.isvProdId ?? 0, L.isvProdId[0]);
  out.writeUInt16LE(fields.isvSvn ?? 0, L.isvSvn[0]);
  put('reportData', fields.reportData);
  return out;
}

export function isDebugEnclave(body: SgxReportBody): boolean {
  return (body.attributesFlags & ATTRIBUTE_FLAG_DEBUG) !== 0n;
}

/**
 * The REPORTDATA an operator enclave puts in its quote: SHA-256 of the SPKI DER public key in
 * bytes 0..31, zeros in 32..63 (spec §1.3b; `uid2-attestation-azure: src/cpp/quote.cc`).
 */
export function reportDataForPublicKey(spkiDer: Buffer): Buffer {
  const out = Buffer.alloc(REPORT_DATA_SIZE);
  createHash('sha256').update(spkiDer).digest().copy(out, 0);
  return out;
}
