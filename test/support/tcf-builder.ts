/**
 * Builds TCF v2 core segments bit by bit (the layout of src/protocol/tcf-string.ts), for vectors
 * the IAB encoder cannot make: CMP id 1, malformed vendor ranges, truncations.
 */
export type VendorSection = { readonly bitfield: readonly number[]; readonly maxVendorId?: number } | { readonly ranges: ReadonlyArray<number | readonly [number, number]>; readonly maxVendorId: number };

export interface CoreSegment {
  readonly version?: number;
  readonly cmpId?: number;
  readonly specialFeatures?: readonly number[];
  readonly purposesConsent?: readonly number[];
  readonly purposesLegitimateInterest?: readonly number[];
  readonly vendorConsents: VendorSection;
  readonly vendorLegitimateInterests: VendorSection;
}

class BitWriter {
  private readonly bits: number[] = [];

  int(value: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  flags(set: readonly number[], length: number): this {
    for (let i = 1; i <= length; i++) this.bits.push(set.includes(i) ? 1 : 0);
    return this;
  }

  section(s: VendorSection): this {
    if ('bitfield' in s) {
      const max = s.maxVendorId ?? Math.max(0, ...s.bitfield);
      return this.int(max, 16).int(0, 1).flags(s.bitfield, max);
    }
    this.int(s.maxVendorId, 16).int(1, 1).int(s.ranges.length, 12);
    for (const r of s.ranges) {
      if (typeof r === 'number') this.int(0, 1).int(r, 16);
      else this.int(1, 1).int(r[0], 16).int(r[1], 16);
    }
    return this;
  }

  base64url(): string {
    const bytes = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => (bytes[i >> 3] |= b << (7 - (i & 7))));
    return bytes.toString('base64url');
  }
}

export function buildCoreSegment(c: CoreSegment): string {
  const w = new BitWriter()
    .int(c.version ?? 2, 6)
    .int(16_000_000_000, 36) // created (deciseconds)
    .int(16_000_000_000, 36) // last updated
    .int(c.cmpId ?? 1, 12)
    .int(1, 12) // cmp version
    .int(1, 6) // consent screen
    .int(4 * 64 + 13, 12) // language "EN"
    .int(100, 12) // vendor list version
    .int(2, 6) // policy version
    .int(1, 1) // service specific
    .int(0, 1) // non-standard texts
    .flags(c.specialFeatures ?? [], 12)
    .flags(c.purposesConsent ?? [], 24)
    .flags(c.purposesLegitimateInterest ?? [], 24)
    .int(0, 1) // purpose one treatment
    .int(4 * 64 + 13, 12) // publisher country "EN"
    .section(c.vendorConsents)
    .section(c.vendorLegitimateInterests)
    .int(0, 12); // no publisher restrictions
  return w.base64url();
}
