/**
 * Opt-out file record (spec §10.2; upstream `OptOutEntry`). Files are concatenations of records.
 *
 * | offset | size | field                                                             |
 * | 0      | 32   | identity hash (the first-level hash)                              |
 * | 32     | 32   | advertising id: the raw UID, or bytes 1..33 of a 33-byte raw UID  |
 * | 64     | 7    | timestamp, epoch seconds, little-endian (low 56 bits of an int64) |
 * | 71     | 1    | metadata: bits 6-7 record version, bits 0-5 first ad-id byte      |
 *
 * | version | advertising id                                                     |
 * | 0       | 32 bytes (metadata byte is 0)                                      |
 * | other   | 33 bytes: (metadata & 0x3F) ‖ the 32 stored bytes                  |
 * Writing a 33-byte id sets metadata = 0x40 | id[0], so a first byte with bit 6 or 7 set (a prod
 * or integ v4 raw UID) does not read back as written (vectors README "Differences" §7).
 */
import { ProtocolError } from './errors.ts';

export const OPTOUT_RECORD_SIZE = 72;

const HASH_SIZE = 32;
const AD_ID_OFFSET = 32;
const TIMESTAMP_OFFSET = 64;
const METADATA_OFFSET = 71;
const VERSION_SHIFT = 6;
const TYPE_MASK = 0x3f;
const TIMESTAMP_LIMIT = 1n << 56n;
const TIMESTAMP_MASK = TIMESTAMP_LIMIT - 1n;

export interface OptOutRecord {
  readonly identityHash: Buffer;
  /** 32 bytes (record version 0) or 33 bytes. */
  readonly advertisingId: Buffer;
  /** Epoch seconds; a bigint because the field holds 56 bits. */
  readonly timestampS: bigint;
}

export interface DecodedOptOutRecord extends OptOutRecord {
  readonly metadata: number;
  readonly version: number;
}

export interface OptOutRecordInput {
  readonly identityHash: Uint8Array;
  readonly advertisingId: Uint8Array;
  readonly timestampS: bigint | number;
}

function toTimestamp(value: bigint | number): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new ProtocolError('ERR_INVALID_INPUT', 'opt-out timestamp must be an integer');
  }
  const ts = BigInt(value);
  if (ts < 0n || ts >= TIMESTAMP_LIMIT) throw new ProtocolError('ERR_INVALID_INPUT', 'opt-out timestamp out of range');
  return ts;
}

export function encodeOptOutRecord(input: OptOutRecordInput): Buffer {
  if (input.identityHash.length !== HASH_SIZE) throw new ProtocolError('ERR_INVALID_INPUT', 'identity hash must be 32 bytes');
  const adId = input.advertisingId;
  if (adId.length !== HASH_SIZE && adId.length !== HASH_SIZE + 1) {
    throw new ProtocolError('ERR_INVALID_INPUT', 'advertising id must be 32 or 33 bytes');
  }
  const out = Buffer.alloc(OPTOUT_RECORD_SIZE);
  out.set(input.identityHash, 0);
  const isLegacy = adId.length === HASH_SIZE;
  out.set(isLegacy ? adId : adId.subarray(1), AD_ID_OFFSET);
  out.writeBigUInt64LE(toTimestamp(input.timestampS), TIMESTAMP_OFFSET);
  out[METADATA_OFFSET] = isLegacy ? 0 : (1 << VERSION_SHIFT) | adId[0];
  return out;
}

/** Decodes the record at `offset` (default 0) of `bytes`. */
export function decodeOptOutRecord(bytes: Uint8Array, offset = 0): DecodedOptOutRecord {
  if (!Number.isInteger(offset) || offset < 0 || offset + OPTOUT_RECORD_SIZE > bytes.length) {
    throw new ProtocolError('ERR_TOO_SHORT', 'opt-out record needs 72 bytes');
  }
  const record = Buffer.from(bytes.subarray(offset, offset + OPTOUT_RECORD_SIZE));
  const metadata = record[METADATA_OFFSET];
  const version = metadata >> VERSION_SHIFT;
  const stored = record.subarray(AD_ID_OFFSET, TIMESTAMP_OFFSET);
  return {
    identityHash: record.subarray(0, HASH_SIZE),
    advertisingId: version === 0 ? stored : Buffer.concat([Buffer.of(metadata & TYPE_MASK), stored]),
    timestampS: record.readBigUInt64LE(TIMESTAMP_OFFSET) & TIMESTAMP_MASK,
    metadata,
    version,
  };
}
