/**
 * Map v3 (and map v2, `mapV2Batch`) of a whole request in stages (spec §4.5, §4.6, §6.1-§6.4; issue 6): each SHA-256 stage is one
 * `sha256Base64Pairs` call over every item, so the per-item cost is the hash itself, not a
 * node:crypto call. The answer is written as bytes into one Buffer that goes to the envelope.
 *
 * | stage | input per item                                  | output per item (44 base64 bytes)  |
 * | 0     | email normalized / phone checked (JS)           | UTF-8 text into one buffer         |
 * | 1     | the text                                        | identity hash (hash inputs: their  |
 * |       |                                                 | canonical base64, not hashed)      |
 * | 2     | identity hash ‖ first-level salt                | first-level hash (FLH)             |
 * | -     | opt-out check (batched) and bucket plan (JS)    |                                    |
 * | 3     | FLH ‖ bucket's current salt (file bytes)        | current raw UID v2                 |
 * | 3'    | FLH ‖ previous salt, rotated buckets only       | previous raw UID v2                |
 *
 * Items the stages do not cover go through the per-item `v3Json` of the same mapper: key-based
 * or `identity_v3` buckets (`BucketPlan.Keyed`) and salts that are not ASCII in the file (their
 * string form is the UTF-8 decoding, which may differ from the bytes). Both paths give the same
 * bytes (test/operator/batch-mapper.test.ts).
 */
import { IDENTITY_FIELDS, identityHashBase64, identityHashText, type IdentityField } from '../../protocol/identity-input.ts';
import { refreshFromSeconds } from '../../protocol/identity-mapping.ts';
import { isAscii } from 'node:buffer';
import { BASE64_DIGITS } from '../../protocol/base64-digits.ts';
import { bucketIndex } from '../../protocol/salt-bucket.ts';
import type { SaltTable } from '../stores/salt-table.ts';
import { optedOutOfBase64Batch } from '../tokens/test-identities.ts';
import { BucketPlan, bucketPlan } from './bucket-plan.ts';
import type { IdentityMapper, MappingSnapshot } from './identity-mapper.ts';
import { INVALID_JSON, JsonBytesWriter, OPTED_OUT_JSON } from './map-v3-json.ts';
import { emptyTally, type MapTally } from '../metrics/mapping-metrics.ts';
import { sha256Base64Pairs } from './sha256-pairs.ts';

/** The identity arrays of a map v3 request, by field. */
export type MapV3Input = Readonly<Record<IdentityField, readonly unknown[]>>;

const H = 44; // base64 of a SHA-256 hash
const INVALID = -1;
const NO_SUFFIX = Buffer.alloc(0);
const COMMA = 0x2c;

/** What the JS stage decided for one valid item. */
const Outcome = { Mapped: 0, OptedOut: 1, PerItem: 2 } as const;

/** Stage 0: the valid items, numbered in slot order (texts to hash first, then given hashes). */
interface Slots {
  /** Per item in request order: its slot, or INVALID. */
  readonly slotOf: Int32Array;
  /** Texts whose SHA-256 is the identity hash (slots 0 … texts.length - 1). */
  readonly texts: string[];
  /** Canonical base64 identity hashes given as such (the slots after the texts). */
  readonly givenHashes: string[];
}

function collectSlots(input: MapV3Input): Slots {
  let n = 0;
  for (const field of IDENTITY_FIELDS) n += input[field].length;
  const slotOf = new Int32Array(n);
  const texts: string[] = [];
  const givenHashes: string[] = [];
  let item = 0;
  for (const field of IDENTITY_FIELDS) {
    const hashed = field === 'email' || field === 'phone';
    for (const value of input[field]) {
      if (hashed) {
        const text = identityHashText(field, value);
        slotOf[item++] = text === null ? INVALID : texts.push(text) - 1;
      } else {
        const given = identityHashBase64(field, value);
        // Given hashes are numbered after the texts: encoded as -2 - k until the count is known.
        slotOf[item++] = given === null || given.length !== H ? INVALID : -1 - givenHashes.push(given);
      }
    }
  }
  for (let i = 0; i < n; i++) if (slotOf[i] < INVALID) slotOf[i] = texts.length - 2 - slotOf[i];
  return { slotOf, texts, givenHashes };
}

/** Offsets 0, 44, 88, … of `count` consecutive hashes. */
function strideOffsets(count: number): Uint32Array {
  const offsets = new Uint32Array(count + 1);
  for (let i = 0; i <= count; i++) offsets[i] = H * i;
  return offsets;
}

/** Stage 1: identity hashes, base64, one per slot. */
function identityHashes(slots: Slots, slotCount: number): Buffer {
  const { texts, givenHashes } = slots;
  const out = Buffer.allocUnsafe(H * slotCount);
  const joined = texts.join('');
  let bytes = Buffer.from(joined, 'utf8');
  const offsets = new Uint32Array(texts.length + 1);
  if (bytes.length === joined.length) {
    // All ASCII: byte offsets are string offsets.
    for (let i = 0; i < texts.length; i++) offsets[i + 1] = offsets[i] + texts[i].length;
  } else {
    // Encoded one by one: joining could pair a lone surrogate with its neighbour's.
    let total = 0;
    for (const text of texts) total += Buffer.byteLength(text, 'utf8');
    bytes = Buffer.allocUnsafe(total);
    for (let i = 0; i < texts.length; i++) offsets[i + 1] = offsets[i] + bytes.write(texts[i], offsets[i], 'utf8');
  }
  sha256Base64Pairs(bytes, offsets, NO_SUFFIX, new Uint32Array(2 * texts.length), out.subarray(0, H * texts.length));
  for (let k = 0; k < givenHashes.length; k++) out.write(givenHashes[k], H * (texts.length + k), H, 'latin1');
  return out;
}

/** Stage 2: first-level hashes, base64, one per slot. */
function firstLevelHashes(identityHashes: Buffer, slotCount: number, firstLevelSalt: string): Buffer {
  const salt = Buffer.from(firstLevelSalt, 'utf8');
  const ranges = new Uint32Array(2 * slotCount);
  for (let s = 0; s < slotCount; s++) ranges[2 * s + 1] = salt.length;
  const out = Buffer.allocUnsafe(H * slotCount);
  sha256Base64Pairs(identityHashes, strideOffsets(slotCount), salt, ranges, out);
  return out;
}

const asciiFiles = new WeakMap<SaltTable, boolean>();

/**
 * True when every byte of the salt file is ASCII (base64 salts: always), checked once per table.
 * Then a salt's bytes are exactly the UTF-8 of its string, and stage 3 hashes them where they lie.
 */
function isAsciiFile(entries: SaltTable): boolean {
  let ascii = asciiFiles.get(entries);
  if (ascii === undefined) {
    ascii = isAscii(entries.fileBytes);
    asciiFiles.set(entries, ascii);
  }
  return ascii;
}

function isAsciiRange(bytes: Buffer, ranges: Uint32Array, at: number): boolean {
  for (let i = ranges[at]; i < ranges[at + 1]; i++) if (bytes[i] > 0x7f) return false;
  return true;
}

/** Bytes 0..2 of the FLH whose base64 starts at text[start] (spec §6.2 needs no more). */
const flhHead = new Uint8Array(3);

function bucketLine(text: Buffer, start: number, entryCount: number): number {
  const bits = (BASE64_DIGITS[text[start]] << 18) | (BASE64_DIGITS[text[start + 1]] << 12) | (BASE64_DIGITS[text[start + 2]] << 6) | BASE64_DIGITS[text[start + 3]];
  flhHead[0] = bits >> 16;
  flhHead[1] = bits >> 8;
  flhHead[2] = bits;
  return bucketIndex(flhHead, entryCount);
}

/** The JS stage and stage 3: per slot its outcome, bucket line and raw UIDs. */
interface RawUids {
  readonly outcome: Uint8Array;
  readonly line: Int32Array;
  /** Current raw UID of slot s at [44s, 44s + 44). */
  readonly current: Buffer;
  /** Per slot the index k of its previous raw UID at [44k, 44k + 44) of `previous`, or -1. */
  readonly previousOf: Int32Array;
  readonly previous: Buffer;
}

function rawUids(snap: MappingSnapshot, flhs: Buffer, slotCount: number): RawUids {
  const entries: SaltTable = snap.entries;
  const file = entries.fileBytes;
  const outcome = new Uint8Array(slotCount);
  const line = new Int32Array(slotCount);
  const currentRanges = new Uint32Array(2 * slotCount);
  const previousOf = new Int32Array(slotCount).fill(-1);
  // Rotated buckets only: their FLHs are copied out so stage 3' hashes nothing else.
  const previousFlhs = Buffer.allocUnsafe(H * slotCount);
  const previousRanges = new Uint32Array(2 * slotCount);
  let previousCount = 0;
  // Map checks opt-out like generate: test identities first, then any record (spec §10.1).
  const optedOut = optedOutOfBase64Batch(snap.salts, snap.optout, 'generate', flhs, slotCount);
  const asciiFile = isAsciiFile(entries);
  for (let s = 0; s < slotCount; s++) {
    if (optedOut[s] === 1) {
      outcome[s] = Outcome.OptedOut;
      continue;
    }
    const l = bucketLine(flhs, H * s, entries.length);
    line[s] = l;
    const plan = bucketPlan(entries, l, snap.nowMs, snap.identityV3);
    if (plan === BucketPlan.Keyed || !entries.saltRange(l, false, currentRanges, 2 * s) || !(asciiFile || isAsciiRange(file, currentRanges, 2 * s))) {
      outcome[s] = Outcome.PerItem;
      currentRanges[2 * s] = currentRanges[2 * s + 1] = 0;
      continue;
    }
    if (plan === BucketPlan.CurrentAndPrevious) {
      entries.saltRange(l, true, previousRanges, 2 * previousCount);
      if (!(asciiFile || isAsciiRange(file, previousRanges, 2 * previousCount))) {
        outcome[s] = Outcome.PerItem;
        continue;
      }
      flhs.copy(previousFlhs, H * previousCount, H * s, H * s + H);
      previousOf[s] = previousCount++;
    }
  }
  const current = Buffer.allocUnsafe(H * slotCount);
  sha256Base64Pairs(flhs, strideOffsets(slotCount), file, currentRanges, current);
  const previous = Buffer.allocUnsafe(H * previousCount);
  if (previousCount > 0) {
    sha256Base64Pairs(previousFlhs, strideOffsets(previousCount), file, previousRanges.subarray(0, 2 * previousCount), previous);
  }
  return { outcome, line, current, previousOf, previous };
}

/**
 * The map v3 answer for `input` as JSON bytes: `head`, then `"email":[…],"email_hash":[…],…` in
 * `IDENTITY_FIELDS` order, then `tail` (the route wraps the body in its success object).
 */
export function mapV3Batch(mapper: IdentityMapper, input: MapV3Input, head: string, tail: string, tally: MapTally = emptyTally()): Buffer {
  const snap = mapper.snapshot;
  const slots = collectSlots(input);
  const slotCount = slots.texts.length + slots.givenHashes.length;
  const flhs = firstLevelHashes(identityHashes(slots, slotCount), slotCount, snap.salts.firstLevelSalt);
  const uids = rawUids(snap, flhs, slotCount);
  const { entries, nowMs } = snap;
  const out = new JsonBytesWriter(head.length + tail.length + 64 + 110 * slots.slotOf.length);
  out.ascii(head);
  let item = 0;
  for (const [f, field] of IDENTITY_FIELDS.entries()) {
    out.ascii(f === 0 ? `"${field}":[` : `],"${field}":[`);
    const values = input[field];
    for (let i = 0; i < values.length; i++, item++) {
      if (i > 0) out.byte(COMMA);
      const s = slots.slotOf[item];
      if (s === INVALID) {
        tally.invalid++;
        out.ascii(INVALID_JSON);
      } else if (uids.outcome[s] === Outcome.OptedOut) {
        tally.optout++;
        out.ascii(OPTED_OUT_JSON);
      } else if (uids.outcome[s] === Outcome.PerItem) {
        const json = mapper.v3Json(field, values[i]);
        if (json === INVALID_JSON) tally.invalid++;
        else if (json === OPTED_OUT_JSON) tally.optout++;
        else tally.perItemMapped++;
        out.ascii(json);
      } else {
        const k = uids.previousOf[s];
        tally.v2RawUids += k < 0 ? 1 : 2;
        const r = refreshFromSeconds(entries.refreshFrom(uids.line[s]), nowMs);
        out.mapped(uids.current, H * s, k < 0 ? null : uids.previous, H * k, r);
      }
    }
  }
  out.ascii(']');
  out.ascii(tail);
  tally.inputs += slots.slotOf.length;
  return out.bytes();
}

/** The map v2 answer lists (spec §4.5), in request order. */
export interface MapV2Lists {
  readonly mapped: { identifier: string; advertising_id: string; bucket_id: string }[];
  readonly unmapped: { identifier: string | null; reason: string }[];
}

/**
 * Map v2 of one identity field through the same stages as v3: the raw UID is the current one, the
 * bucket id the public id of its salt line. Items the stages do not cover take the per-item path
 * (`resolve` + `current`), so the lists are exactly those of the per-item route.
 */
export function mapV2Batch(mapper: IdentityMapper, field: IdentityField, values: readonly unknown[], tally: MapTally = emptyTally()): MapV2Lists {
  const snap = mapper.snapshot;
  const input = { email: [], email_hash: [], phone: [], phone_hash: [], [field]: values } as MapV3Input;
  const slots = collectSlots(input);
  const slotCount = slots.texts.length + slots.givenHashes.length;
  const uids = rawUids(snap, firstLevelHashes(identityHashes(slots, slotCount), slotCount, snap.salts.firstLevelSalt), slotCount);
  const { entries } = snap;
  const lists: MapV2Lists = { mapped: [], unmapped: [] };
  // Hashids encoding is most of the per-item cost left: once per bucket line in a request.
  const bucketIds = new Map<number, string>();
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const s = slots.slotOf[i];
    const identifier = typeof value === 'string' ? value : null;
    if (s === INVALID) {
      tally.invalid++;
      lists.unmapped.push({ identifier, reason: 'invalid identifier' });
    } else if (uids.outcome[s] === Outcome.OptedOut) {
      tally.optout++;
      lists.unmapped.push({ identifier, reason: 'optout' });
    } else if (uids.outcome[s] === Outcome.PerItem) perItemV2(mapper, field, value, lists, tally);
    else {
      tally.v2RawUids++;
      const advertisingId = uids.current.toString('latin1', H * s, H * s + H);
      const line = uids.line[s];
      let bucketId = bucketIds.get(line);
      if (bucketId === undefined) {
        bucketId = snap.salts.bucketId(entries.id(line));
        bucketIds.set(line, bucketId);
      }
      lists.mapped.push({ identifier: value as string, advertising_id: advertisingId, bucket_id: bucketId });
    }
  }
  tally.inputs += values.length;
  return lists;
}

function perItemV2(mapper: IdentityMapper, field: IdentityField, value: unknown, lists: MapV2Lists, tally: MapTally): void {
  const outcome = mapper.resolve(field, value);
  if (outcome.kind === 'mapped') {
    tally.perItemMapped++;
    const { rawUid, bucketId } = mapper.current(outcome);
    lists.mapped.push({ identifier: value as string, advertising_id: rawUid.toString('base64'), bucket_id: bucketId });
  } else {
    if (outcome.kind === 'optout') tally.optout++;
    else tally.invalid++;
    lists.unmapped.push({ identifier: typeof value === 'string' ? value : null, reason: outcome.kind === 'optout' ? 'optout' : 'invalid identifier' });
  }
}

