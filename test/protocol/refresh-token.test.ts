import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeBase64 } from '../../src/protocol/base64.ts';
import { IdentityScope, IdentityType } from '../../src/protocol/identity-kinds.ts';
import { REFRESH_TOKEN_V3_SIZE, decodeRefreshToken, encodeRefreshTokenV3, type RefreshTokenFields } from '../../src/protocol/refresh-token.ts';
import { decodeRefreshEnvelope } from '../../src/protocol/refresh-envelope.ts';
import { SERVICE_OPERATOR, type Key, type KeyLookup } from '../../src/protocol/token-fields.ts';
import { loadVectors } from '../support/shared.ts';
import { isProtocolError, lookupFor, type Vector } from './vector-support.ts';

const key: Key = { id: 102, secret: Buffer.alloc(32, 0x44) };
const lookup: KeyLookup = (id) => (id === 102 ? key : undefined);
const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const ms = fc.integer({ min: 0, max: 2 ** 48 });

const fieldsArb: fc.Arbitrary<RefreshTokenFields> = fc
  .record({
    scope: fc.constantFrom(IdentityScope.UID2, IdentityScope.EUID),
    type: fc.constantFrom(IdentityType.Email, IdentityType.Phone),
    expiresMs: ms,
    createdMs: ms,
    operator: fc.record({ siteId: int32, type: fc.integer({ min: 0, max: 255 }), version: int32, keyId: int32 }),
    siteId: int32,
    publisherId: fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    clientKeyId: int32,
    privacyBits: int32,
    establishedMs: ms,
    flh: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  })
  .map(({ flh, operator, ...rest }) => ({ ...rest, operator: { ...operator }, firstLevelHash: Buffer.from(flh) }));

test('refresh token v3: encode → decode round trip, 168 chars', () => {
  fc.assert(
    fc.property(fieldsArb, (fields) => {
      const token = encodeRefreshTokenV3(fields, key);
      assert.equal(token.length, 168);
      assert.equal(decodeBase64(token).length, REFRESH_TOKEN_V3_SIZE);
      const decoded = decodeRefreshToken(token, lookup);
      assert.ok(decoded.version === 3);
      const { version, identityByte, innerIdentityByte, keyId, ...rest } = decoded;
      assert.deepEqual(rest, fields);
      const byte = (fields.scope << 4) | (fields.type << 2) | 3;
      assert.deepEqual([version, identityByte, innerIdentityByte, keyId], [3, byte, byte, 102]);
    }),
    { numRuns: 200 },
  );
});

const sample: RefreshTokenFields = {
  scope: IdentityScope.UID2,
  type: IdentityType.Email,
  expiresMs: 1724981814352,
  createdMs: 1724895414352,
  operator: { ...SERVICE_OPERATOR },
  siteId: 123,
  publisherId: 0,
  clientKeyId: 0,
  privacyBits: 3,
  establishedMs: 1724895414351,
  firstLevelHash: Buffer.alloc(32, 0x39),
};

test('refresh token v3: every truncation and every bit flip is a ProtocolError', () => {
  const bytes = decodeBase64(encodeRefreshTokenV3(sample, key));
  for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeRefreshToken(bytes.subarray(0, n).toString('base64'), lookup), isProtocolError());
  // Byte 0's scope/type bits are checked against the payload's identity byte; its other bits are ignored upstream.
  const flips = [2, 4];
  for (let bit = 8; bit < bytes.length * 8; bit++) flips.push(bit);
  for (const bit of flips) {
    const flipped = Buffer.from(bytes);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => decodeRefreshToken(flipped.toString('base64'), lookup), isProtocolError(), `bit ${bit}`);
  }
});

test('refresh token: wrong key, unknown key, wrong version, bad input', () => {
  const token = encodeRefreshTokenV3(sample, key);
  assert.throws(() => decodeRefreshToken(token, () => ({ id: 102, secret: Buffer.alloc(32, 1) })), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => decodeRefreshToken(token, () => undefined), isProtocolError('ERR_UNKNOWN_KEY'));
  const bytes = decodeBase64(token);
  bytes[0] = 0x13; // EUID email in the header, UID2 email inside
  assert.throws(() => decodeRefreshToken(bytes.toString('base64'), lookup), isProtocolError('ERR_FORMAT'));
  bytes[0] = 0x03;
  bytes[1] = 0x80;
  assert.throws(() => decodeRefreshToken(bytes.toString('base64'), lookup), isProtocolError('ERR_VERSION'));
  assert.throws(() => decodeRefreshToken('not base64!', lookup), isProtocolError('ERR_BASE64'));
  assert.throws(() => encodeRefreshTokenV3({ ...sample, firstLevelHash: Buffer.alloc(31) }, key), isProtocolError('ERR_INVALID_INPUT'));
});

test('refresh token v2 (2022 vectors): truncation, wrong key and unknown key are ProtocolErrors', () => {
  const v: Vector = loadVectors().refresh_tokens.find((x: Vector) => x.expected.inner.version_byte === 2);
  const keys = lookupFor(v.keys);
  const inner = decodeRefreshEnvelope(v.refresh_token, keys).refreshToken;
  const bytes = decodeBase64(inner);
  for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeRefreshToken(bytes.subarray(0, n).toString('base64'), keys), isProtocolError());
  assert.throws(() => decodeRefreshToken(inner, (id) => keys(id === 4 ? 3 : id)), isProtocolError());
  assert.throws(() => decodeRefreshToken(inner, () => undefined), isProtocolError('ERR_UNKNOWN_KEY'));
});

test('refresh token decoder never throws anything but ProtocolError on random input', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 160 }).map((b) => Buffer.from(b).toString('base64'))), (text) => {
      assert.throws(() => decodeRefreshToken(text, lookup), isProtocolError());
    }),
    { numRuns: 200 },
  );
});
