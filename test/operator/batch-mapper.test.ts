/**
 * The staged batch map v3 (src/operator/identity/batch-mapper.ts) against the per-item `v3Json`
 * of the same mapper, byte for byte, and map v2 against per-item `resolve` + `current`: random batches over the fixture salts (salted buckets with and
 * without a previous salt, key-based buckets), at clock values before and after rotations, with
 * the native kernels installed and removed, with and without opt-out records, and with `identity_v3`.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { fixtureOperator, type TestOperator } from './support/operator-fixture.ts';
import { mapV2Batch, mapV3Batch, type MapV2Lists, type MapV3Input } from '../../src/operator/identity/batch-mapper.ts';
import { createIdentityMapper } from '../../src/operator/identity/identity-mapper.ts';
import { buildOptOutSnapshot, type OptOutSnapshot } from '../../src/operator/stores/optout-store.ts';
import { cryptoKernels, useCryptoKernels } from '../../src/protocol/crypto-kernels.ts';
import { firstLevelHash } from '../../src/protocol/first-level-hash.ts';
import { IDENTITY_FIELDS, parseIdentity, type IdentityField } from '../../src/protocol/identity-input.ts';
import { encodeOptOutRecord } from '../../src/protocol/optout-record.ts';

const HEAD = '{"status":"success","body":{';
const TAIL = '}}';
/** Clock values of the local_mapping vectors: before, during and after the fixture rotations. */
const CLOCKS = [1795392000000, 1805000000000, 1814140800000, 1814140800001];
const OPTED_OUT_RECORD = 'someone-opted-out@example.com';

let op: TestOperator;
let v3op: TestOperator;
/** Per operator: its opt-out snapshot with no records (as loaded) and one with a record. */
const optOuts = new Map<TestOperator, { none: OptOutSnapshot; one: OptOutSnapshot }>();
before(async () => {
  op = await fixtureOperator();
  v3op = await fixtureOperator({ identity_v3: true });
  for (const o of [op, v3op]) {
    const flh = firstLevelHash(parseIdentity('email', OPTED_OUT_RECORD)!.hash, o.deps.stores.salts.current().firstLevelSalt);
    const none = o.deps.stores.optout.current();
    assert.equal(none.byIdentityHash.size, 0);
    const one = buildOptOutSnapshot([encodeOptOutRecord({ identityHash: flh, advertisingId: Buffer.alloc(32, 7), timestampS: 1_700_000_000n })], 99);
    o.deps.stores.optout.swap(one);
    optOuts.set(o, { none, one });
  }
});
after(async () => {
  await op.close();
  await v3op.close();
});

/** The reply the route made before the batch mapper: `v3Json` per item, joined. */
function perItemReply(o: TestOperator, input: MapV3Input): Buffer {
  const m = createIdentityMapper(o.deps, o.deps.stores.view());
  const lists = IDENTITY_FIELDS.map((field) => `"${field}":[${input[field].map((v) => m.v3Json(field, v)).join(',')}]`);
  return Buffer.from(`${HEAD}${lists.join(',')}${TAIL}`, 'utf8');
}

function assertSameReply(o: TestOperator, input: MapV3Input): void {
  const batch = mapV3Batch(createIdentityMapper(o.deps, o.deps.stores.view()), input, HEAD, TAIL);
  const expected = perItemReply(o, input);
  assert.ok(batch.equals(expected), `batch reply differs:\n${batch.toString('latin1').slice(0, 400)}\n${expected.toString('latin1').slice(0, 400)}`);
  JSON.parse(batch.toString('utf8'));
}

/** Runs `body` with the native kernels installed (when they loaded) and with them removed. */
function bothKernelModes(body: () => void): void {
  const kernels = cryptoKernels();
  body();
  useCryptoKernels(undefined);
  try {
    body();
  } finally {
    useCryptoKernels(kernels);
  }
}

const FIXED_EMAILS = ['optout@example.com', 'refresh-optout@example.com', 'validate@example.com', OPTED_OUT_RECORD, ' Jane.Doe+x@Gmail.com ', 'a@b', '@b', 'a@', 'a@@b', '', ' ', 'ü@ñ.com', '\ud800@x.com'];
const FIXED_PHONES = ['+00000000000', '+00000000002', '+12345678901', '+1234567890', '+1234567890123456', '1234567890', '+12345678a01', ''];

const emailArb = fc.oneof(
  fc.constantFrom(...FIXED_EMAILS),
  fc.emailAddress(),
  fc.tuple(fc.emailAddress(), fc.constantFrom('', ' ', '  ')).map(([e, s]) => `${s}${e.toUpperCase()}${s}`),
  fc.emailAddress().map((e) => `${e.split('@')[0]}+tag@gmail.com`),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 30 }).map((s) => `${s}@${s}x.org`),
);
const phoneArb = fc.oneof(
  fc.constantFrom(...FIXED_PHONES),
  fc.stringMatching(/^\+[0-9]{10,15}$/),
  fc.string({ maxLength: 17 }),
);
/** Base64 of 31-33 bytes, sometimes with non-canonical trailing bits; hex; junk. */
const hashArb = fc.oneof(
  fc.uint8Array({ minLength: 31, maxLength: 33 }).map((b) => Buffer.from(b).toString('base64')),
  fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 3 })).map(([b, bits]) => {
    const s = Buffer.from(b).toString('base64');
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.indexOf(s[42]);
    return s.slice(0, 42) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[last ^ bits] + '=';
  }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex').toUpperCase()),
  fc.string({ minLength: 40, maxLength: 66 }),
);
/** Mostly valid values, with duplicates; non-strings as the mapper also accepts `unknown[]`. */
function listOf<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<unknown[]> {
  return fc.array(fc.oneof({ weight: 20, arbitrary: arb }, { weight: 1, arbitrary: fc.constantFrom(null, 7, {}) }), { maxLength: 40 }).chain((xs) =>
    fc.boolean().map((dup) => (dup && xs.length > 0 ? [...xs, xs[0], ...xs] : xs)),
  );
}
const inputArb: fc.Arbitrary<MapV3Input> = fc.record({ email: listOf(emailArb), email_hash: listOf(hashArb), phone: listOf(phoneArb), phone_hash: listOf(hashArb) });

test('random batches: batch reply equals the per-item reply byte for byte, with and without the native kernels', () => {
  fc.assert(
    fc.property(inputArb, fc.constantFrom(...CLOCKS), fc.boolean(), fc.boolean(), (input, now, v3, records) => {
      const o = v3 ? v3op : op;
      o.clock.set(now);
      const { none, one } = optOuts.get(o)!;
      o.deps.stores.optout.swap(records ? one : none);
      try {
        bothKernelModes(() => assertSameReply(o, input));
      } finally {
        o.deps.stores.optout.swap(one);
      }
    }),
    { numRuns: 150 },
  );
});

test('empty arrays: four empty lists', () => {
  const input = { email: [], email_hash: [], phone: [], phone_hash: [] };
  bothKernelModes(() => {
    const json = mapV3Batch(createIdentityMapper(op.deps, op.deps.stores.view()), input, HEAD, TAIL).toString('utf8');
    assert.equal(json, '{"status":"success","body":{"email":[],"email_hash":[],"phone":[],"phone_hash":[]}}');
    assertSameReply(op, input);
  });
});

test('5,000 items of every kind, test identities and opted-out records among them', () => {
  const email = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? FIXED_EMAILS[i % FIXED_EMAILS.length] : `user${i}@example.com`));
  const phone = Array.from({ length: 5000 }, (_, i) => (i % 89 === 0 ? FIXED_PHONES[i % FIXED_PHONES.length] : `+1${String(i).padStart(10, '0')}`));
  const hashes = Array.from({ length: 5000 }, () => randomBytes(32).toString('base64'));
  for (const now of CLOCKS) {
    op.clock.set(now);
    bothKernelModes(() => {
      assertSameReply(op, { email, email_hash: hashes, phone, phone_hash: [] });
      assertSameReply(op, { email: [], email_hash: [], phone: phone.slice(0, 10), phone_hash: hashes });
    });
  }
  const body = JSON.parse(mapV3Batch(createIdentityMapper(op.deps, op.deps.stores.view()), { email, email_hash: [], phone: [], phone_hash: [] }, HEAD, TAIL).toString('utf8')).body;
  assert.deepEqual(body.email[0], { e: 'optout' });
  assert.equal(body.email.filter((e: { u?: string }) => typeof e.u === 'string').length > 4900, true);
});

/** The v2 lists the route made before the batch mapper: `resolve` + `current` per item. */
function perItemV2(o: TestOperator, field: IdentityField, values: readonly unknown[]): MapV2Lists {
  const m = createIdentityMapper(o.deps, o.deps.stores.view());
  const lists: MapV2Lists = { mapped: [], unmapped: [] };
  for (const value of values) {
    const outcome = m.resolve(field, value);
    if (outcome.kind === 'mapped') {
      const { rawUid, bucketId } = m.current(outcome);
      lists.mapped.push({ identifier: value as string, advertising_id: rawUid.toString('base64'), bucket_id: bucketId });
    } else {
      lists.unmapped.push({ identifier: typeof value === 'string' ? value : null, reason: outcome.kind === 'optout' ? 'optout' : 'invalid identifier' });
    }
  }
  return lists;
}

test('map v2: the batch lists equal the per-item lists, every field, with and without the native kernels', () => {
  fc.assert(
    fc.property(inputArb, fc.constantFrom(...IDENTITY_FIELDS), fc.constantFrom(...CLOCKS), fc.boolean(), fc.boolean(), (input, field, now, v3, records) => {
      const o = v3 ? v3op : op;
      o.clock.set(now);
      const { none, one } = optOuts.get(o)!;
      o.deps.stores.optout.swap(records ? one : none);
      try {
        bothKernelModes(() => {
          const values = input[field];
          assert.deepEqual(mapV2Batch(createIdentityMapper(o.deps, o.deps.stores.view()), field, values), perItemV2(o, field, values));
        });
      } finally {
        o.deps.stores.optout.swap(one);
      }
    }),
    { numRuns: 150 },
  );
  // 5,000 emails with test identities and an opted-out record among them.
  const email = Array.from({ length: 5000 }, (_, i) => (i % 97 === 0 ? FIXED_EMAILS[i % FIXED_EMAILS.length] : `user${i}@example.com`));
  for (const now of CLOCKS) {
    op.clock.set(now);
    const lists = mapV2Batch(createIdentityMapper(op.deps, op.deps.stores.view()), 'email', email);
    assert.deepEqual(lists, perItemV2(op, 'email', email));
    assert.ok(lists.mapped.length > 4800 && lists.unmapped.some((u) => u.reason === 'optout'));
  }
});
