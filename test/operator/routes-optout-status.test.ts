/**
 * /v2/optout/status (spec §4.8): roles MAPPER/SHARER/ID_READER, exact id match against the opt-out
 * records (earliest time, seconds → ms), error messages, and no route when the API is disabled.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { buildOptOutSnapshot } from '../../src/operator/stores/optout-store.ts';
import { encodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { CLIENTS, callV2, fixtureOperator, type TestOperator } from './support/operator-fixture.ts';

const PUBLISHER = { key: 'UID2-C-L-124-H8VwqX.l2G4TCuUWYAqdqkeG/UqtFoPEoXirKn4kHWxc=', secret: 'NcMgi6Y8C80SlxvV7pYlfcvEIo+2b0508tYQ3pKK8HM=' };
const ADVERTISER = { key: 'UID2-C-L-126-GMP9tD.jn2o3vmXzn7vmKRlTT6BEUrPUaPJuQmDBdq38=', secret: '1ydXM0rEj+ROUazVpZjNZOGu2T5+f/BIiBfnK8xGh/A=' };

const uidA = Buffer.alloc(32, 0xa1);
const uidB = Buffer.alloc(32, 0xb2);
const flh = (n: number) => Buffer.alloc(32, n);

let op: TestOperator;
before(async () => {
  op = await fixtureOperator();
  // Two files: uidA opted out twice (the earliest time wins), uidB once.
  op.deps.stores.optout.swap(
    buildOptOutSnapshot(
      [
        Buffer.concat([encodeOptOutRecord({ identityHash: flh(1), advertisingId: uidA, timestampS: 1_700_000_500 })]),
        Buffer.concat([
          encodeOptOutRecord({ identityHash: flh(1), advertisingId: uidA, timestampS: 1_700_000_000 }),
          encodeOptOutRecord({ identityHash: flh(2), advertisingId: uidB, timestampS: 1_710_000_000 }),
        ]),
      ],
      7,
    ),
  );
});
after(async () => {
  await op.close();
});

test('opted-out ids come back with opted_out_since in ms; others are left out', async () => {
  const ids = [uidA.toString('base64'), 'not-opted-out', uidB.toString('base64'), Buffer.alloc(32, 3).toString('base64')];
  const { res, json } = await callV2(op, { path: '/v2/optout/status', payload: { advertising_ids: ids } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(json, {
    status: 'success',
    body: {
      opted_out: [
        { advertising_id: uidA.toString('base64'), opted_out_since: 1_700_000_000_000 },
        { advertising_id: uidB.toString('base64'), opted_out_since: 1_710_000_000_000 },
      ],
    },
  });
});

test('the match is exact on the string: url-safe or unpadded spellings do not match', async () => {
  const { json } = await callV2(op, { path: '/v2/optout/status', payload: { advertising_ids: [uidA.toString('base64url'), uidA.toString('base64').replace(/=+$/, '')] } });
  assert.deepEqual(json.body, { opted_out: [] });
});

test('MAPPER, SHARER and ID_READER may call it; others get 401', async () => {
  for (const client of [CLIENTS.special, CLIENTS.dsp, ADVERTISER]) {
    const { res } = await callV2(op, { path: '/v2/optout/status', payload: { advertising_ids: [] }, client });
    assert.equal(res.statusCode, 200);
  }
  const { res, json } = await callV2(op, { path: '/v2/optout/status', payload: { advertising_ids: [] }, client: PUBLISHER });
  assert.equal(res.statusCode, 401);
  assert.deepEqual(json, { status: 'unauthorized' });
});

const errors: [string, unknown, string][] = [
  ['no payload', null, 'Invalid request body'],
  ['missing advertising_ids', { ids: [] }, 'Required Parameter Missing: advertising_ids'],
  ['null advertising_ids', { advertising_ids: null }, 'Required Parameter Missing: advertising_ids'],
  ['non-array advertising_ids', { advertising_ids: 'abc' }, 'Required Parameter Missing: advertising_ids'],
  ['over 5000 ids', { advertising_ids: Array.from({ length: 5001 }, (_, i) => String(i)) }, 'Request payload is too large'],
];
for (const [name, payload, message] of errors) {
  test(`error: ${name}`, async () => {
    const { res, json } = await callV2(op, { path: '/v2/optout/status', payload: payload as any });
    assert.equal(res.statusCode, 400);
    assert.deepEqual(json, { status: 'client_error', message });
  });
}

test('exactly 5000 ids are accepted; non-string ids are skipped, not a 500', async () => {
  const ids: unknown[] = Array.from({ length: 4999 }, (_, i) => `id-${i}`);
  ids.push(7);
  const { res, json } = await callV2(op, { path: '/v2/optout/status', payload: { advertising_ids: ids } });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(json.body, { opted_out: [] });
});

test('the route does not exist when optout_status_api_enabled is false', async () => {
  const off = await fixtureOperator({ optout_status_api_enabled: false });
  try {
    const { res } = await callV2(off, { path: '/v2/optout/status', payload: { advertising_ids: [] } });
    assert.equal(res.statusCode, 404);
  } finally {
    await off.close();
  }
});
