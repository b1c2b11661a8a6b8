import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aesGcmDecrypt } from '../../src/protocol/aes.ts';
import {
  decodeAdvertisingToken,
  decodeUserTokenV2,
  encodeAdvertisingTokenV3,
  encodeAdvertisingTokenV4,
  type AdvertisingTokenFields,
  type DecodedAdvertisingToken,
} from '../../src/protocol/advertising-token.ts';
import { decodeBase64, decodeBase64Url, encodeBase64Url, isBase64, isBase64Url } from '../../src/protocol/base64.ts';
import { IdentityScope, IdentityType } from '../../src/protocol/identity-kinds.ts';
import { SERVICE_OPERATOR, type Key, type KeyLookup } from '../../src/protocol/token-fields.ts';
import { loadVectors } from '../support/shared.ts';
import { assertCovered, assertFields, b64, isProtocolError, lookupFor, vectorName, type Vector } from './vector-support.ts';

const vectors: Vector[] = loadVectors().advertising_tokens;

function tokenBytes(v: Vector): Buffer {
  return v.encoding === 'base64url' ? decodeBase64Url(v.token) : decodeBase64(v.token);
}

/** The vector's view of a decoded v3/v4 token, layer sizes measured by decrypting independently. */
function v4View(token: DecodedAdvertisingToken, bytes: Buffer, lookup: KeyLookup): Vector {
  assert.ok(token.version !== 2);
  const master = aesGcmDecrypt(lookup(token.masterKeyId)!.secret, bytes.subarray(6));
  const site = aesGcmDecrypt(lookup(token.siteKeyId)!.secret, master.subarray(33));
  return {
    total_bytes: bytes.length,
    identity_type_byte: token.identityByte,
    version_byte: bytes[1],
    master_key_id: token.masterKeyId,
    master_payload_bytes: master.length,
    expires_ms: token.expiresMs,
    created_ms: token.createdMs,
    operator: { site_id: token.operator.siteId, type: token.operator.type, version: token.operator.version, key_id: token.operator.keyId },
    site_key_id: token.siteKeyId,
    site_payload_bytes: site.length,
    site_id: token.siteId,
    publisher_id: token.publisherId,
    client_key_id: token.clientKeyId,
    privacy_bits: token.privacyBits,
    established_ms: token.establishedMs,
    refreshed_ms: token.refreshedMs,
    raw_uid_b64: b64(token.rawUid),
    raw_uid_bytes: token.rawUid.length,
  };
}

vectors.forEach((v, i) => {
  test(vectorName('advertising_tokens', v, i), () => {
    assertCovered(v, ['token', 'encoding', 'format', 'keys', 'key_bytes_decimal', 'expected']);
    const lookup = lookupFor(v.keys);
    for (const [id, bytes] of Object.entries((v.key_bytes_decimal ?? {}) as Record<string, number[]>)) {
      assert.deepEqual([...lookup(Number(id))!.secret], bytes, `key ${id} bytes`);
    }
    assert.ok(v.encoding === 'base64url' ? isBase64Url(v.token) : isBase64(v.token), v.encoding);
    const bytes = tokenBytes(v);

    if (v.format === 'user_token_v2') {
      const t = decodeUserTokenV2(v.token, lookup);
      assertFields(
        {
          total_bytes: bytes.length,
          version_byte: bytes[0],
          site_key_id: t.siteKeyId,
          site_id: t.siteId,
          raw_uid_b64: b64(t.rawUid),
          privacy_bits: t.privacyBits,
          established_ms: t.establishedMs,
        },
        v.expected,
      );
      return;
    }

    const token = decodeAdvertisingToken(v.token, lookup);
    assert.equal(`v${token.version}`, v.format);
    if (token.version === 2) {
      assertFields(
        {
          total_bytes: bytes.length,
          version_byte: bytes[0],
          master_key_id: token.masterKeyId,
          expires_ms: token.expiresMs,
          site_key_id: token.siteKeyId,
          site_id: token.siteId,
          raw_uid_b64: b64(token.rawUid),
          privacy_bits: token.privacyBits,
          established_ms: token.establishedMs,
        },
        v.expected,
      );
      return;
    }
    assertFields(v4View(token, bytes, lookup), v.expected);
    // Re-encoding the decoded fields with the token's own IVs reproduces it byte for byte.
    const masterIv = bytes.subarray(6, 18);
    const siteIv = aesGcmDecrypt(lookup(token.masterKeyId)!.secret, bytes.subarray(6)).subarray(33, 45);
    const again = encodeAdvertisingTokenV4(token, lookup(token.masterKeyId)!, lookup(token.siteKeyId)!, { master: masterIv, site: siteIv });
    // The encoder writes the canonical identity byte; the cross-platform token has 0x00 there.
    const expectedBytes = Buffer.from(bytes);
    expectedBytes[0] = decodeBase64Url(again)[0];
    assert.equal(again, encodeBase64Url(expectedBytes));
  });
});

const masterKey: Key = { id: 101, secret: Buffer.alloc(32, 0x11) };
const siteKey: Key = { id: 104, secret: Buffer.alloc(32, 0x22) };
const keys: KeyLookup = (id) => (id === 101 ? masterKey : id === 104 ? siteKey : undefined);

const int32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const ms = fc.integer({ min: 0, max: 2 ** 48 });
const scopeType = fc.record({ scope: fc.constantFrom(IdentityScope.UID2, IdentityScope.EUID), type: fc.constantFrom(IdentityType.Email, IdentityType.Phone) });
const fieldsArb: fc.Arbitrary<AdvertisingTokenFields> = fc
  .record({
    st: scopeType,
    uid33: fc.boolean(),
    uid: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    expiresMs: ms,
    createdMs: ms,
    operator: fc.record({ siteId: int32, type: fc.integer({ min: 0, max: 255 }), version: int32, keyId: int32 }),
    siteId: int32,
    publisherId: fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }),
    clientKeyId: int32,
    privacyBits: int32,
    establishedMs: ms,
    refreshedMs: ms,
  })
  .map(({ st, uid33, uid, operator, ...rest }) => ({
    ...rest,
    ...st,
    operator: { ...operator }, // fast-check records have a null prototype; deepEqual compares prototypes
    rawUid: uid33 ? Buffer.concat([Buffer.from([(st.scope << 4) | (st.type << 2)]), uid]) : Buffer.from(uid),
  }));

test('advertising token v4 and v3: encode → decode round trip', () => {
  fc.assert(
    fc.property(fieldsArb, fc.boolean(), (fields, v4) => {
      const token = v4 ? encodeAdvertisingTokenV4(fields, masterKey, siteKey) : encodeAdvertisingTokenV3(fields, masterKey, siteKey);
      assert.equal(token.length, v4 ? 186 + fields.rawUid.length : 220); // 163 or 164 bytes
      const decoded = decodeAdvertisingToken(token, keys);
      assert.ok(decoded.version !== 2);
      const { version, identityByte, masterKeyId, siteKeyId, ...rest } = decoded;
      assert.deepEqual(rest, fields);
      assert.deepEqual([version, identityByte, masterKeyId, siteKeyId], [v4 ? 4 : 3, (fields.scope << 4) | (fields.type << 2) | 3, 101, 104]);
    }),
    { numRuns: 200 },
  );
});

const sample: AdvertisingTokenFields = {
  scope: IdentityScope.UID2,
  type: IdentityType.Email,
  expiresMs: 1724899014352,
  createdMs: 1724895414352,
  operator: { ...SERVICE_OPERATOR },
  siteId: 123,
  publisherId: 0,
  clientKeyId: 0,
  privacyBits: 3,
  establishedMs: 1724895414351,
  refreshedMs: 1724895414352,
  rawUid: Buffer.concat([Buffer.from([0x00]), Buffer.alloc(32, 0x5a)]),
};

test('advertising token: every truncation is a ProtocolError', () => {
  const token = encodeAdvertisingTokenV4(sample, masterKey, siteKey);
  for (let n = 0; n < token.length; n++) assert.throws(() => decodeAdvertisingToken(token.slice(0, n), keys), isProtocolError());
  const bytes = decodeBase64Url(token);
  for (let n = 0; n < bytes.length; n++) {
    assert.throws(() => decodeAdvertisingToken(encodeBase64Url(bytes.subarray(0, n)), keys), isProtocolError());
  }
});

test('advertising token: every bit flip after byte 0, and of the scope/type bits of byte 0, is rejected', () => {
  const bytes = decodeBase64Url(encodeAdvertisingTokenV4(sample, masterKey, siteKey));
  const flips = [4, 2];
  for (let bit = 8; bit < bytes.length * 8; bit++) flips.push(bit);
  for (const bit of flips) {
    const flipped = Buffer.from(bytes);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    const text = flipped[1] === 0x70 ? flipped.toString('base64') : encodeBase64Url(flipped);
    assert.throws(() => decodeAdvertisingToken(text, keys), isProtocolError(), `bit ${bit}`);
  }
});

test('advertising token: wrong key, unknown key, wrong version, wrong alphabet', () => {
  const token = encodeAdvertisingTokenV4(sample, masterKey, siteKey);
  assert.throws(() => decodeAdvertisingToken(token, (id) => (id === 101 ? siteKey : id === 104 ? siteKey : undefined)), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => decodeAdvertisingToken(token, (id) => (id === 101 ? masterKey : id === 104 ? masterKey : undefined)), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => decodeAdvertisingToken(token, (id) => (id === 101 ? masterKey : undefined)), isProtocolError('ERR_UNKNOWN_KEY'));
  assert.throws(() => decodeAdvertisingToken(token, () => undefined), isProtocolError('ERR_UNKNOWN_KEY'));
  const bytes = decodeBase64Url(token);
  for (const version of [0x00, 0x01, 0x71, 0x81, 0xff]) {
    bytes[1] = version;
    assert.throws(() => decodeAdvertisingToken(encodeBase64Url(bytes), keys), isProtocolError('ERR_VERSION'));
  }
  // A v4 token re-encoded in standard base64 still reads byte 1 = 0x80, so it must be base64url.
  bytes[1] = 0x80;
  const standard = bytes.toString('base64');
  if (/[+/]/.test(standard)) assert.throws(() => decodeAdvertisingToken(standard, keys), isProtocolError('ERR_BASE64'));
  assert.throws(() => decodeAdvertisingToken('A4AA!!!!', keys), isProtocolError('ERR_BASE64'));
});

test('advertising token: a 33-byte raw UID whose scope/type differs from the header is refused', () => {
  const euidUid = Buffer.concat([Buffer.from([0x10]), Buffer.alloc(32, 1)]);
  assert.throws(() => encodeAdvertisingTokenV4({ ...sample, rawUid: euidUid }, masterKey, siteKey), isProtocolError('ERR_INVALID_INPUT'));
  assert.throws(() => encodeAdvertisingTokenV4({ ...sample, rawUid: Buffer.alloc(31) }, masterKey, siteKey), isProtocolError('ERR_INVALID_INPUT'));
});

test('legacy v2 tokens: truncation, wrong key and unknown key are ProtocolErrors', () => {
  const v = vectors.find((x) => x.format === 'v2')!;
  const lookup = lookupFor(v.keys);
  const bytes = decodeBase64(v.token);
  for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeAdvertisingToken(bytes.subarray(0, n).toString('base64'), lookup), isProtocolError());
  const swapped: KeyLookup = (id) => lookup(id === 3 ? 2 : id === 2 ? 3 : id);
  assert.throws(() => decodeAdvertisingToken(v.token, swapped), isProtocolError());
  assert.throws(() => decodeAdvertisingToken(v.token, () => undefined), isProtocolError('ERR_UNKNOWN_KEY'));
  const u = vectors.find((x) => x.format === 'user_token_v2')!;
  assert.throws(() => decodeUserTokenV2(u.token.slice(0, 40), lookup), isProtocolError());
  assert.throws(() => decodeUserTokenV2(v.token, lookup), isProtocolError());
});

test('advertising token decoder never throws anything but ProtocolError on random input', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 }).map((b) => encodeBase64Url(b))), (text) => {
      try {
        decodeAdvertisingToken(text, keys);
        assert.fail('random input decoded');
      } catch (err) {
        isProtocolError()(err);
      }
    }),
    { numRuns: 200 },
  );
});
