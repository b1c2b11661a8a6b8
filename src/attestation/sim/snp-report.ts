/**
 * The fields of the AMD SEV-SNP attestation report that the simulators use
 * (spec attestation-azure.md §2.5; confidential-sidecar-containers `snp_attestation_report.go`).
 * Little-endian, 1184 bytes. The simulated SKR fills it, the simulated MAA reads it back; the
 * signature area stays zero because no simulated AMD key chain exists.
 *
 * | off | len | field        |
 * | 0   | 4   | version      |
 * | 8   | 8   | policy       | (debug = bit 19, [unverified] per the spec)
 * | 80  | 64  | report_data  |
 * | 144 | 48  | measurement  |
 * | 192 | 32  | host_data    |
 * | 672 | 512 | signature    |
 */
export const SNP_REPORT_SIZE = 1184;
const VERSION = 0;
const POLICY = 8;
const REPORT_DATA = 80;
const MEASUREMENT = 144;
const HOST_DATA = 192;
const DEBUG_BIT = 19n;

export interface SnpReportFields {
  reportData: Buffer; // 64 bytes
  hostData: Buffer; // 32 bytes
  measurement: Buffer; // 48 bytes
  debuggable: boolean;
}

export function encodeSnpReport(fields: SnpReportFields): Buffer {
  const out = Buffer.alloc(SNP_REPORT_SIZE);
  out.writeUInt32LE(2, VERSION);
  // Bit 16 is reserved-must-be-one in the guest policy; bit 19 allows debugging.
  const policy = (1n << 16n) | (fields.debuggable ? 1n << DEBUG_BIT : 0n);
  out.writeBigUInt64LE(policy, POLICY);
  fields.reportData.copy(out, REPORT_DATA, 0, 64);
  fields.measurement.copy(out, MEASUREMENT, 0, 48);
  fields.hostData.copy(out, HOST_DATA, 0, 32);
  return out;
}

/** Returns undefined when the buffer is not a report of the right size. */
export function decodeSnpReport(bytes: Buffer): SnpReportFields | undefined {
  if (bytes.length !== SNP_REPORT_SIZE) return undefined;
  const policy = bytes.readBigUInt64LE(POLICY);
  return {
    reportData: bytes.subarray(REPORT_DATA, REPORT_DATA + 64),
    measurement: bytes.subarray(MEASUREMENT, MEASUREMENT + 48),
    hostData: bytes.subarray(HOST_DATA, HOST_DATA + 32),
    debuggable: ((policy >> DEBUG_BIT) & 1n) === 1n,
  };
}
