import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aesGcmDecrypt } from '../../src/protocol/aes.ts';
import { decodeBase64 } from '../../src/protocol/base64.ts';
import { UnknownKeyError } from '../../src/protocol/errors.ts';
import { IdentityScope } from '../../src/protocol/identity-kinds.ts';
import {
  REFRESH_ENVELOPE_LENGTH,
  createRefreshResponseKey,
  decodeRefreshEnvelope,
  decryptRefreshResponse,
  encodeRefreshEnvelope,
  encryptRefreshResponse,
} from '../../src/protocol/refresh-envelope.ts';
import { decodeRefreshToken, encodeRefreshTokenV3, type DecodedRefreshToken } from '../../src/protocol/refresh-token.ts';
import type { Key, KeyLookup } from '../../src/protocol/token-fields.ts';
import { loadVectors } from '../support/shared.ts';
import { assertCovered, assertFields, b64, isProtocolError, lookupFor, vectorName, type Vector } from './vector-support.ts';

const vectors: Vector[] = loadVectors().refresh_tokens;

/** The vector's view of an inner refresh token, the payload size measured by decrypting independently. */
function innerView(text: string, t: DecodedRefreshToken, lookup: KeyLookup): Vector {
  const bytes = decodeBase64(text);
  const common = { chars: text.length, total_bytes: bytes.length, version_byte: bytes[1] === 0x70 ? 0x70 : bytes[0], key_id: t.keyId };
  if (t.version === 2) {
    return {
      ...common,
      created_ms: t.createdMs,
      expires_ms: t.storedExpiresMs,
      valid_till_ms: t.expiresMs,
      site_id: t.siteId,
      first_level_hash_b64: b64(t.firstLevelHash),
      privacy_bits: t.privacyBits,
      established_ms: t.establishedMs,
    };
  }
  return {
    ...common,
    identity_type_byte: t.identityByte,
    payload_bytes: aesGcmDecrypt(lookup(t.keyId)!.secret, bytes.subarray(6)).length,
    expires_ms: t.expiresMs,
    created_ms: t.createdMs,
    operator: { site_id: t.operator.siteId, type: t.operator.type, version: t.operator.version, key_id: t.operator.keyId },
    publisher: { site_id: t.siteId, publisher_id: t.publisherId, client_key_id: t.clientKeyId },
    privacy_bits: t.privacyBits,
    established_ms: t.establishedMs,
    inner_identity_type_byte: t.innerIdentityByte,
    first_level_hash_b64: b64(t.firstLevelHash),
  };
}

vectors.forEach((v, i) => {
  test(vectorName('refresh_tokens', v, i), () => {
    assertCovered(v, ['refresh_token', 'keys', 'expected']);
    const lookup = lookupFor(v.keys);
    const envelope = decodeRefreshEnvelope(v.refresh_token, lookup);
    const bytes = decodeBase64(v.refresh_token);
    const plaintext = aesGcmDecrypt(lookup(envelope.keyId)!.secret, bytes.subarray(5)).toString('utf8');
    const inner = decodeRefreshToken(envelope.refreshToken, lookup);
    assertFields(
      {
        chars: v.refresh_token.length,
        total_bytes: bytes.length,
        scope_byte: envelope.scopeByte,
        key_id: envelope.keyId,
        plaintext,
        refresh_response_key: b64(envelope.responseKey),
        inner_refresh_token: envelope.refreshToken,
        inner: innerView(envelope.refreshToken, inner, lookup),
      },
      v.expected,
    );
    // Re-encoding with the envelope's IV reproduces it exactly (JSON key order, no whitespace).
    const again = encodeRefreshEnvelope(
      { scope: (envelope.scopeByte >> 4) as IdentityScope, key: lookup(envelope.keyId)!, refreshToken: envelope.refreshToken, responseKey: envelope.responseKey },
      bytes.subarray(5, 17),
    );
    assert.equal(again, v.refresh_token);
    if (inner.version === 3) {
      assert.equal(encodeRefreshTokenV3(inner, lookup(inner.keyId)!, decodeBase64(envelope.refreshToken).subarray(6, 18)), envelope.refreshToken);
    }
  });
});

const refreshKey: Key = { id: 102, secret: Buffer.alloc(32, 0x33) };
const lookup: KeyLookup = (id) => (id === 102 ? refreshKey : undefined);
const base64Token = fc.uint8Array({ minLength: 124, maxLength: 124 }).map((b) => Buffer.from(b).toString('base64'));

test('refresh envelope: encode → decode round trip, 388 chars with a 168-char token', () => {
  fc.assert(
    fc.property(fc.constantFrom(IdentityScope.UID2, IdentityScope.EUID), base64Token, fc.uint8Array({ minLength: 32, maxLength: 32 }), (scope, token, rk) => {
      const text = encodeRefreshEnvelope({ scope, key: refreshKey, refreshToken: token, responseKey: rk });
      assert.equal(text.length, REFRESH_ENVELOPE_LENGTH);
      assert.deepEqual(decodeRefreshEnvelope(text, lookup), { scopeByte: scope << 4, keyId: 102, refreshToken: token, responseKey: Buffer.from(rk) });
    }),
    { numRuns: 200 },
  );
});

test('refresh response: encrypt → decrypt round trip (bytes and base64)', () => {
  fc.assert(
    fc.property(fc.string(), (json) => {
      const key = createRefreshResponseKey();
      const body = encryptRefreshResponse(key, json);
      assert.equal(decryptRefreshResponse(key, body), json);
      assert.equal(decryptRefreshResponse(key, body.toString('base64')), json);
    }),
    { numRuns: 200 },
  );
});

const sampleEnvelope = () =>
  encodeRefreshEnvelope({ scope: IdentityScope.UID2, key: refreshKey, refreshToken: 'A'.repeat(168), responseKey: Buffer.alloc(32, 9) });

test('refresh envelope errors carry the code of each spec §4.3 message', () => {
  assert.throws(() => decodeRefreshEnvelope('!'.repeat(388), lookup), isProtocolError('ERR_BASE64'));
  assert.throws(
    () => decodeRefreshEnvelope(sampleEnvelope(), () => undefined),
    (err: unknown) => isProtocolError('ERR_UNKNOWN_KEY')(err) && err instanceof UnknownKeyError && err.keyId === 102,
  );
  assert.throws(() => decodeRefreshEnvelope(sampleEnvelope(), () => ({ id: 102, secret: Buffer.alloc(32, 1) })), isProtocolError('ERR_DECRYPT'));
  // Same GCM layout as the envelope body, so it can stand in for a hand-built payload.
  const withJson = (json: string) => Buffer.concat([Buffer.from([0, 0, 0, 0, 102]), encryptRefreshResponse(refreshKey.secret, json)]).toString('base64');
  for (const bad of ['not json', '[]', 'null', '{"refresh_token":"x"}', '{"refresh_token":1,"refresh_response_key":"AAAA"}', '{"refresh_token":"x","refresh_response_key":"AAAA"}']) {
    assert.throws(() => decodeRefreshEnvelope(withJson(bad), lookup), isProtocolError('ERR_JSON'), bad);
  }
});

test('refresh envelope: every truncation and every bit flip after the scope byte is a ProtocolError', () => {
  const bytes = decodeBase64(sampleEnvelope());
  for (let n = 0; n < bytes.length; n++) assert.throws(() => decodeRefreshEnvelope(bytes.subarray(0, n).toString('base64'), lookup), isProtocolError());
  for (let bit = 8; bit < bytes.length * 8; bit++) {
    const flipped = Buffer.from(bytes);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => decodeRefreshEnvelope(flipped.toString('base64'), lookup), isProtocolError(), `bit ${bit}`);
  }
});
