/**
 * TCF v2 consent strings (IAB "TC String" format), decoded only as far as the EUID consent check
 * needs (spec §4.1), with exactly the acceptance of the decoder the upstream operator uses
 * (`com.iabtcf:iabtcf-decoder` 2.0.10 via `TransparentConsent`): a string it turns into an answer
 * is decoded here to the same fields; a string it rejects, or on which it throws while the check
 * reads it (an upstream 500), is a `ProtocolError` here. Unlike `@iabtcf/core`, no field beyond
 * what is read is validated (upstream accepts CMP id 1, any language, any dates).
 *
 * String: segments separated by `.` (Java `split`: trailing empty segments dropped). Every segment
 * must be base64url under Java's decoder rules (`base64UrlSegment`); only the first, the core
 * segment, is read:
 *
 * | bit | bits | field                                                               |
 * | 0   | 6    | Version, must be 2                                                  |
 * | 6   | 134  | Created, LastUpdated, CmpId, CmpVersion, ConsentScreen,             |
 * |     |      | ConsentLanguage, VendorListVersion, TcfPolicyVersion,                |
 * |     |      | IsServiceSpecific, UseNonStandardTexts (not read)                    |
 * | 140 | 12   | SpecialFeatureOptIns (the n-th bit = feature n)                     |
 * | 152 | 24   | PurposesConsent (the n-th bit = purpose n)                          |
 * | 176 | 24   | PurposesLITransparency                                              |
 * | 200 | 13   | PurposeOneTreatment, PublisherCC (not read)                         |
 * | 213 | var  | vendor consents: vendor section                                     |
 * | ... | var  | vendor legitimate interests: vendor section                         |
 *
 * Vendor section: MaxVendorId (16), IsRangeEncoding (1), then MaxVendorId bits (the n-th bit =
 * vendor n), or NumEntries (12) entries of IsARange (1), StartOrOnlyVendorId (16) and, for a range,
 * EndVendorId (16), where start <= end <= MaxVendorId. A read past the last byte fails, as upstream.
 * Work is linear in the input: a section spans at most 65,535 bits or 4,095 entries.
 */
import { ProtocolError } from './errors.ts';

export interface TcfConsent {
  /** Purposes (1-24) with consent. */
  readonly purposesConsent: ReadonlySet<number>;
  /** Purposes (1-24) with legitimate-interest transparency. */
  readonly purposesLegitimateInterest: ReadonlySet<number>;
  /** Special features (1-12) opted in. */
  readonly specialFeatureOptIns: ReadonlySet<number>;
  /** The asked vendor is in the vendor consent section. */
  readonly vendorConsent: boolean;
  /** The asked vendor is in the vendor legitimate-interest section. */
  readonly vendorLegitimateInterest: boolean;
}

const CORE_VERSION = 2;
const SPECIAL_FEATURES_BIT = 140;
const PURPOSES_CONSENT_BIT = 152;
const PURPOSES_LI_BIT = 176;
const VENDOR_CONSENT_BIT = 213;

function invalid(message: string): ProtocolError {
  return new ProtocolError('ERR_FORMAT', `TCF string: ${message}`);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i;

/**
 * One base64url segment under `java.util.Base64.getUrlDecoder()`: no character outside the
 * alphabet; padding optional but, when present, complete and last; a lone trailing character
 * (6 bits) refused; unused low bits ignored; a one-character segment refused, an empty one is no
 * bytes.
 */
function base64UrlSegment(text: string): Uint8Array {
  if (text.length === 1) throw invalid('segment too short');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let written = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x3d /* = */) {
      const phase = count % 4;
      if (phase === 0) throw invalid('misplaced padding');
      if (phase === 2) {
        if (text.charCodeAt(i + 1) !== 0x3d) throw invalid('incomplete padding');
        i++;
      }
      i++;
      break;
    }
    const v = c < 128 ? SEXTET[c] : -1;
    if (v < 0) throw invalid('not base64url');
    bits = (bits << 6) | v;
    count++;
    if (count % 4 === 0) {
      out[written++] = (bits >> 16) & 0xff;
      out[written++] = (bits >> 8) & 0xff;
      out[written++] = bits & 0xff;
      bits = 0;
    }
  }
  if (i < text.length) throw invalid('characters after the padding');
  const rest = count % 4;
  if (rest === 1) throw invalid('a lone trailing character');
  if (rest === 2) out[written++] = (bits >> 4) & 0xff;
  if (rest === 3) {
    out[written++] = (bits >> 10) & 0xff;
    out[written++] = (bits >> 2) & 0xff;
  }
  return out.subarray(0, written);
}

/** Big-endian bit reads; a field that does not end inside the bytes fails. */
class BitReader {
  constructor(private readonly bytes: Uint8Array) {}

  read(offset: number, length: number): number {
    if (offset + length > this.bytes.length * 8) throw invalid('truncated');
    let value = 0;
    for (let i = offset; i < offset + length; i++) value = value * 2 + ((this.bytes[i >> 3] >> (7 - (i & 7))) & 1);
    return value;
  }

  /** A field of `length` flags: the 1-based numbers of the bits that are set. */
  flags(offset: number, length: number): ReadonlySet<number> {
    const set = new Set<number>();
    for (let i = 0; i < length; i++) if (this.read(offset + i, 1) === 1) set.add(i + 1);
    return set;
  }
}

/** A vendor section at `offset`: whether it holds `vendorId`, and where it ends. */
function readVendorSection(bits: BitReader, offset: number, vendorId: number): { has: boolean; end: number } {
  const maxVendorId = bits.read(offset, 16);
  const fieldStart = offset + 17;
  if (bits.read(offset + 16, 1) === 0) {
    // Bit field: upstream reads every bit, so each must exist.
    if (maxVendorId > 0) bits.read(fieldStart + maxVendorId - 1, 1);
    const has = vendorId >= 1 && vendorId <= maxVendorId && bits.read(fieldStart + vendorId - 1, 1) === 1;
    return { has, end: fieldStart + maxVendorId };
  }
  const entries = bits.read(fieldStart, 12);
  let at = fieldStart + 12;
  let has = false;
  for (let n = 0; n < entries; n++) {
    const isRange = bits.read(at, 1) === 1;
    const start = bits.read(at + 1, 16);
    at += 17;
    if (!isRange) {
      has ||= start === vendorId;
      continue;
    }
    const end = bits.read(at, 16);
    at += 16;
    if (start > end) throw invalid('vendor range start after its end');
    if (end > maxVendorId) throw invalid('vendor range beyond MaxVendorId');
    has ||= start <= vendorId && vendorId <= end;
  }
  return { has, end: at };
}

/** The core segment's consent fields for `vendorId`, or a `ProtocolError` (`ERR_FORMAT`). */
export function decodeTcfConsent(text: string, vendorId: number): TcfConsent {
  const segments = text.split('.');
  while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  if (segments.length === 0) throw invalid('no segments');
  const core = base64UrlSegment(segments[0]);
  for (let i = 1; i < segments.length; i++) base64UrlSegment(segments[i]);
  const bits = new BitReader(core);
  if (bits.read(0, 6) !== CORE_VERSION) throw invalid('not a version 2 string');
  const consent = readVendorSection(bits, VENDOR_CONSENT_BIT, vendorId);
  const legitimateInterest = readVendorSection(bits, consent.end, vendorId);
  return {
    purposesConsent: bits.flags(PURPOSES_CONSENT_BIT, 24),
    purposesLegitimateInterest: bits.flags(PURPOSES_LI_BIT, 24),
    specialFeatureOptIns: bits.flags(SPECIAL_FEATURES_BIT, 12),
    vendorConsent: consent.has,
    vendorLegitimateInterest: legitimateInterest.has,
  };
}
