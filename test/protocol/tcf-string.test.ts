/**
 * TCF v2 consent strings (src/protocol/tcf-string.ts) and the EUID consent check
 * (src/operator/tokens/user-consent.ts): the official SDK examples, strings the upstream decoder
 * accepts and `@iabtcf/core` refuses (CMP id 1), malformed strings, agreement with the IAB's own
 * encoder on random consents, and truncation at every length.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GVL, TCModel, TCString } from '@iabtcf/core';
import fc from 'fast-check';
import { checkUserConsent, type ConsentStatus } from '../../src/operator/tokens/user-consent.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { decodeTcfConsent } from '../../src/protocol/tcf-string.ts';
import { buildCoreSegment, type CoreSegment } from '../support/tcf-builder.ts';

/** The official SDKs' examples (CMP id 1): sufficient, and the same without purpose 1. */
const SUFFICIENT = 'CPhJRpMPhJRpMABAMBFRACBoALAAAEJAAIYgAKwAQAKgArABAAqAAA';
const INSUFFICIENT = 'CPehXK9PehXK9ABAMBFRACBoADAAAEJAAIYgAKwAQAKgArABAAqAAA';
const VENDOR = 21;
const FULL = [1, 2, 3, 4, 7, 10];
const built = (c: Partial<CoreSegment>) => buildCoreSegment({ vendorConsents: { bitfield: [VENDOR] }, vendorLegitimateInterests: { bitfield: [] }, purposesConsent: FULL, specialFeatures: [1], ...c });

const VECTORS: ReadonlyArray<{ readonly id: string; readonly text: string; readonly status: ConsentStatus }> = [
  { id: 'sdk-sufficient', text: SUFFICIENT, status: 'sufficient' },
  { id: 'sdk-insufficient (no purpose 1)', text: INSUFFICIENT, status: 'insufficient' },
  { id: 'sdk-sufficient with padding', text: `${SUFFICIENT}==`, status: 'sufficient' },
  { id: 'sdk-sufficient with a publisher segment', text: `${SUFFICIENT}.YAAAAAAAAAAA`, status: 'sufficient' },
  { id: 'sdk-sufficient with a trailing dot', text: `${SUFFICIENT}.`, status: 'sufficient' },
  { id: 'sdk-sufficient with an empty middle segment', text: `${SUFFICIENT}..YAAAAAAAAAAA`, status: 'sufficient' },
  { id: 'cmp id 1, consent for all purposes', text: built({}), status: 'sufficient' },
  { id: 'consent and LI purposes split between the two vendor signals', text: built({ purposesConsent: [1, 3, 4], purposesLegitimateInterest: [2, 7, 10], vendorLegitimateInterests: { bitfield: [VENDOR] } }), status: 'sufficient' },
  { id: 'LI purposes without the vendor LI signal', text: built({ purposesConsent: [1, 3, 4], purposesLegitimateInterest: [2, 7, 10] }), status: 'insufficient' },
  { id: 'no precise-geolocation opt-in (special feature 1)', text: built({ specialFeatures: [2] }), status: 'insufficient' },
  { id: 'vendor not in the consent section', text: built({ vendorConsents: { bitfield: [20, 22] } }), status: 'insufficient' },
  { id: 'vendor consent by range', text: built({ vendorConsents: { ranges: [3, [10, 30]], maxVendorId: 30 } }), status: 'sufficient' },
  { id: 'single range entries above MaxVendorId are accepted (upstream checks ranges only)', text: built({ vendorConsents: { ranges: [VENDOR], maxVendorId: 5 } }), status: 'sufficient' },
  { id: 'empty vendor sections', text: built({ vendorConsents: { bitfield: [], maxVendorId: 0 } }), status: 'insufficient' },
  // Malformed: invalid (400 "User consent is invalid").
  { id: 'empty', text: '', status: 'invalid' },
  { id: 'only dots', text: '..', status: 'invalid' },
  { id: 'leading empty segment', text: `.${SUFFICIENT}`, status: 'invalid' },
  { id: 'one character', text: 'C', status: 'invalid' },
  { id: 'standard-alphabet character', text: SUFFICIENT.replace('M', '+'), status: 'invalid' },
  { id: 'whitespace', text: ` ${SUFFICIENT}`, status: 'invalid' },
  { id: 'non-ASCII', text: `${SUFFICIENT}é`, status: 'invalid' },
  { id: 'single padding character after two', text: `${SUFFICIENT}=`, status: 'invalid' },
  { id: 'data after padding', text: `${SUFFICIENT}==AA`, status: 'invalid' },
  { id: 'lone trailing character', text: `${SUFFICIENT}AAA`, status: 'invalid' },
  { id: 'bad second segment', text: `${SUFFICIENT}.!!`, status: 'invalid' },
  { id: 'one-character second segment', text: `${SUFFICIENT}.A`, status: 'invalid' },
  { id: 'version 1 (upstream throws while checking it)', text: 'BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA', status: 'invalid' },
  { id: 'version 3', text: `D${SUFFICIENT.slice(1)}`, status: 'invalid' },
  { id: 'truncated in the vendor consent section', text: SUFFICIENT.slice(0, 38), status: 'invalid' },
  { id: 'truncated before the vendor LI section', text: built({}).slice(0, 40), status: 'invalid' },
  { id: 'vendor range start after its end', text: built({ vendorConsents: { ranges: [[30, 10]], maxVendorId: 40 } }), status: 'invalid' },
  { id: 'vendor range beyond MaxVendorId', text: built({ vendorConsents: { ranges: [[10, 30]], maxVendorId: 25 } }), status: 'invalid' },
  { id: 'LI range beyond MaxVendorId', text: built({ vendorLegitimateInterests: { ranges: [[1, 9]], maxVendorId: 8 } }), status: 'invalid' },
];

for (const v of VECTORS) {
  test(`tcf/${v.id}`, () => {
    assert.equal(checkUserConsent(v.text, VENDOR), v.status);
  });
}

test('the sufficient SDK example decodes field by field; @iabtcf/core refuses it (CMP id 1)', () => {
  const c = decodeTcfConsent(SUFFICIENT, VENDOR);
  assert.deepEqual([...c.purposesConsent], [1, 3, 4]);
  assert.deepEqual([...c.purposesLegitimateInterest], [2, 7, 10]);
  assert.deepEqual([...c.specialFeatureOptIns], [1]);
  assert.equal(c.vendorConsent, true);
  assert.equal(c.vendorLegitimateInterest, true);
  assert.throws(() => TCString.decode(SUFFICIENT), 'the reason issue 14 §3 replaced @iabtcf/core at run time');
});

test('non-strings and failures are invalid, never an exception', () => {
  for (const value of [undefined, null, 5, {}, []]) assert.equal(checkUserConsent(value, VENDOR), 'invalid');
  assert.throws(() => decodeTcfConsent('!', VENDOR), (err: unknown) => isProtocolError(err, 'ERR_FORMAT'));
});

const gvl = new GVL({
  gvlSpecificationVersion: 2, vendorListVersion: 1, tcfPolicyVersion: 2, lastUpdated: '2024-01-01T00:00:00Z',
  purposes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i + 1, { id: i + 1, name: 'p', description: '', illustrations: [] }])),
  specialPurposes: {}, features: {}, specialFeatures: { 1: { id: 1, name: 'geo', description: '', illustrations: [] }, 2: { id: 2, name: 'scan', description: '', illustrations: [] } }, stacks: {},
  vendors: {},
} as never);

test('agrees with the IAB library (@iabtcf/core encodes, decodes) on random consents, bit fields and ranges alike', () => {
  const ids = (max: number) => fc.uniqueArray(fc.integer({ min: 1, max }), { maxLength: 40 });
  fc.assert(
    fc.property(ids(11), ids(11), fc.uniqueArray(fc.integer({ min: 1, max: 2 })), ids(600), ids(600), fc.integer({ min: 1, max: 600 }), (pc, pli, sf, vc, vli, vendor) => {
      const model = new TCModel(gvl);
      model.cmpId = 10;
      model.cmpVersion = 1;
      pc.forEach((p) => model.purposeConsents.set(p));
      pli.forEach((p) => model.purposeLegitimateInterests.set(p));
      sf.forEach((f) => model.specialFeatureOptins.set(f));
      vc.forEach((v) => model.vendorConsents.set(v));
      vli.forEach((v) => model.vendorLegitimateInterests.set(v));
      const text = TCString.encode(model);
      const theirs = TCString.decode(text);
      const ours = decodeTcfConsent(text, vendor);
      const sorted = (s: Iterable<number>) => [...s].sort((a, b) => a - b);
      const setOf = (v: { forEach(cb: (on: boolean, id: number) => void): void }) => {
        const out: number[] = [];
        v.forEach((on, id) => on && out.push(id));
        return out;
      };
      assert.deepEqual(sorted(ours.purposesConsent), sorted(setOf(theirs.purposeConsents)));
      assert.deepEqual(sorted(ours.purposesLegitimateInterest), sorted(setOf(theirs.purposeLegitimateInterests)));
      assert.deepEqual(sorted(ours.specialFeatureOptIns), sorted(setOf(theirs.specialFeatureOptins)));
      assert.equal(ours.vendorConsent, theirs.vendorConsents.has(vendor));
      assert.equal(ours.vendorLegitimateInterest, theirs.vendorLegitimateInterests.has(vendor));
      assert.deepEqual(sorted(ours.purposesConsent), sorted(pc), 'the consents made it into the string');
    }),
    { numRuns: 300 },
  );
});

test('every truncation of a string either fails to decode or decodes to the same consent', () => {
  for (const text of [SUFFICIENT, built({ vendorConsents: { ranges: [3, [10, 30]], maxVendorId: 30 }, vendorLegitimateInterests: { bitfield: [VENDOR] } })]) {
    const full = checkUserConsent(text, VENDOR);
    let decodedPrefixes = 0;
    for (let n = 0; n < text.length; n++) {
      const status = checkUserConsent(text.slice(0, n), VENDOR);
      if (status !== 'invalid') decodedPrefixes++;
      assert.ok(status === 'invalid' || status === full, `prefix ${n}: ${status}, full string ${full}`);
    }
    assert.ok(decodedPrefixes < text.length / 2, 'most truncations are refused');
  }
});
