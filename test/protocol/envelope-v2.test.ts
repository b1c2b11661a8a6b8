import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { aesGcmDecrypt } from '../../src/protocol/aes.ts';
import { decodeBase64 } from '../../src/protocol/base64.ts';
import {
  decodeRequestBody,
  decodeResponseEnvelope,
  encodeRequestEnvelope,
  encodeResponseEnvelope,
  encodeResponseEnvelopeText,
  type RequestDecodeOptions,
} from '../../src/protocol/envelope-v2.ts';
import { IdentityScope, parseScope } from '../../src/protocol/identity-kinds.ts';
import { decryptRefreshResponse, encryptRefreshResponse } from '../../src/protocol/refresh-envelope.ts';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { loadVectors } from '../support/shared.ts';
import { assertCovered, assertVectorFields, hex, isProtocolError, lookupFor, vectorName, type Vector } from './vector-support.ts';

const all = loadVectors();

function options(secret: string | null, nowMs: number, scope: IdentityScope = IdentityScope.UID2, binary = false): RequestDecodeOptions {
  return { binary, secret: secret ? Buffer.from(secret, 'base64') : Buffer.alloc(32), nowMs, scope };
}

(all.v2_request_envelopes as Vector[]).forEach((v, i) => {
  test(vectorName('v2_request_envelopes', v, i), () => {
    assertCovered(v, ['client_secret', 'envelope_b64', 'envelope_bytes', 'version', 'iv_hex', 'timestamp_ms', 'nonce_hex', 'plaintext', 'now_ms_for_freshness', 'expected_payload']);
    const secret = Buffer.from(v.client_secret, 'base64');
    const bytes = decodeBase64(v.envelope_b64);
    const data = aesGcmDecrypt(secret, bytes.subarray(1));
    const decoded = decodeRequestBody(Buffer.from(v.envelope_b64), options(v.client_secret, v.now_ms_for_freshness));
    assertVectorFields(
      {
        envelope_bytes: bytes.length,
        version: bytes[0],
        iv_hex: hex(bytes.subarray(1, 13)),
        timestamp_ms: decoded.timestampMs,
        nonce_hex: hex(decoded.nonce),
        plaintext: data.toString('utf8', 16),
      },
      v,
    );
    assert.deepEqual(decoded.payload, v.plaintext === '' ? null : JSON.parse(v.plaintext));
    if (v.expected_payload) assert.deepEqual(decoded.payload, v.expected_payload);
    assert.equal(decoded.respondBinary, false);
    // Raw bytes under octet-stream parse the same and ask for a binary answer.
    const binary = decodeRequestBody(bytes, options(v.client_secret, v.now_ms_for_freshness, IdentityScope.UID2, true));
    assert.deepEqual({ ...binary, respondBinary: false }, decoded);
    assert.equal(binary.respondBinary, true);
    // The client-side encoder reproduces the envelope from its parts.
    const again = encodeRequestEnvelope(secret, { nowMs: v.timestamp_ms, nonce: Buffer.from(v.nonce_hex, 'hex'), payload: v.plaintext, iv: Buffer.from(v.iv_hex, 'hex') });
    assert.equal(again.toString('base64'), v.envelope_b64);
  });
});

(all.v2_request_envelope_errors as Vector[]).forEach((v, i) => {
  test(vectorName('v2_request_envelope_errors', v, i), () => {
    assertCovered(v, ['body', 'client_secret', 'now_ms', 'identity_scope', 'expected_prefix', 'expected_message', 'decrypted_timestamp_ms', 'decrypted_nonce_hex', 'decrypted_plaintext']);
    const opts = options(v.client_secret, v.now_ms, v.identity_scope ? parseScope(v.identity_scope) : IdentityScope.UID2);
    const body = v.body === null ? null : Buffer.from(v.body, 'utf8');
    if (v.expected_message === null) {
      assert.equal(v.expected_prefix, null);
      assert.doesNotThrow(() => decodeRequestBody(body, opts));
    } else {
      assert.throws(
        () => decodeRequestBody(body, opts),
        (err: unknown) => isProtocolError()(err) && (err as Error).message === v.expected_message && v.expected_message.startsWith(v.expected_prefix),
      );
    }
    if ('decrypted_plaintext' in v) {
      const data = aesGcmDecrypt(opts.secret, decodeBase64(v.body).subarray(1));
      assertVectorFields(
        { decrypted_timestamp_ms: Number(data.readBigInt64BE(0)), decrypted_nonce_hex: hex(data.subarray(8, 16)), decrypted_plaintext: data.toString('utf8', 16) },
        v,
      );
    }
  });
});

const adTokenVectors: Vector[] = all.advertising_tokens;

(all.v2_responses as Vector[]).forEach((v, i) => {
  test(vectorName('v2_responses', v, i), () => {
    if (v.kind === 'plain_json_refresh_response') {
      // A legacy refresh answered in plain JSON: its tokens decrypt with the 2022 keys.
      assertCovered(v, ['response_json']);
      const json = JSON.parse(v.response_json);
      assert.equal(json.status, 'success');
      const adVector = adTokenVectors.find((a) => a.token === json.body.advertising_token);
      assert.ok(adVector, 'the advertising token is one of the advertising_tokens vectors');
      assert.equal(decodeAdvertisingToken(json.body.advertising_token, lookupFor(adVector.keys)).establishedMs, adVector.expected.established_ms);
      return;
    }
    const key = Buffer.from(v.key_b64, 'base64');
    const bytes = decodeBase64(v.response_b64);
    const iv = bytes.subarray(0, 12);
    if (v.kind === 'refresh_response') {
      assertCovered(v, ['key_b64', 'response_b64', 'response_bytes', 'iv_hex', 'plaintext']);
      assertVectorFields({ response_bytes: bytes.length, iv_hex: hex(iv), plaintext: decryptRefreshResponse(key, v.response_b64) }, v);
      assert.equal(encryptRefreshResponse(key, v.plaintext, iv).toString('base64'), v.response_b64);
      return;
    }
    assert.equal(v.kind, 'v2_envelope_response');
    assertCovered(v, ['key_b64', 'response_b64', 'response_bytes', 'iv_hex', 'timestamp_ms', 'nonce_hex', 'request_nonce_hex', 'plaintext', 'expected_body_json']);
    const decoded = decodeResponseEnvelope(key, v.response_b64);
    assert.deepEqual(decodeResponseEnvelope(key, bytes), decoded);
    assertVectorFields(
      { response_bytes: bytes.length, iv_hex: hex(iv), timestamp_ms: decoded.timestampMs, nonce_hex: hex(decoded.nonce), request_nonce_hex: hex(decoded.nonce), plaintext: decoded.json },
      v,
    );
    if ('expected_body_json' in v) assert.equal(JSON.stringify(JSON.parse(decoded.json).body), v.expected_body_json);
    const again = encodeResponseEnvelope(key, v.timestamp_ms, Buffer.from(v.request_nonce_hex, 'hex'), v.plaintext, iv);
    assert.equal(again.toString('base64'), v.response_b64);
    // The text form the operator answers a base64 request with: the same envelope.
    assert.equal(encodeResponseEnvelopeText(key, v.timestamp_ms, Buffer.from(v.request_nonce_hex, 'hex'), v.plaintext, iv), v.response_b64);
  });
});

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((a) => Buffer.from(a));
const jsonObject = fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())).map((o) => ({ ...o }));

test('request envelope: encode → decode round trip (base64 and binary)', () => {
  fc.assert(
    fc.property(secretArb, fc.option(jsonObject, { nil: null }), fc.integer({ min: 0, max: 2 ** 47 }), fc.integer({ min: -119_999, max: 119_999 }), (secret, payload, nowMs, skew) => {
      const env = encodeRequestEnvelope(secret, { nowMs: nowMs + skew, payload: payload === null ? null : JSON.stringify(payload) });
      const text = decodeRequestBody(Buffer.from(env.toString('base64')), { binary: false, secret, nowMs, scope: IdentityScope.UID2 });
      assert.equal(text.timestampMs, nowMs + skew);
      assert.deepEqual(text.payload, payload);
      assert.equal(text.nonce.length, 8);
      assert.deepEqual(decodeRequestBody(env, { binary: true, secret, nowMs, scope: IdentityScope.UID2 }), { ...text, respondBinary: true });
    }),
    { numRuns: 200 },
  );
});

test('response envelope: encode → decode round trip', () => {
  fc.assert(
    fc.property(secretArb, fc.integer({ min: 0, max: 2 ** 47 }), fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.string(), (secret, nowMs, nonce, json) => {
      const body = encodeResponseEnvelope(secret, nowMs, nonce, json);
      assert.deepEqual(decodeResponseEnvelope(secret, body.toString('base64')), { timestampMs: nowMs, nonce: Buffer.from(nonce), json });
    }),
    { numRuns: 200 },
  );
});

const secret = Buffer.alloc(32, 5);
const now = 1_700_000_000_000;
const uid2 = (binary = false): RequestDecodeOptions => ({ binary, secret, nowMs: now, scope: IdentityScope.UID2 });
const hint = ' See https://unifiedid.com/docs/getting-started/gs-encryption-decryption for details on the request envelope format.';
const unencrypted = 'Invalid body: The request body is unencrypted JSON.';

test('octet-stream bodies follow the upstream fallback rules (V2RequestUtilTest)', () => {
  const twos = Buffer.alloc(64, 2);
  const jsonB64 = Buffer.from(Buffer.from('{"email_hash": "x"}').toString('base64'));
  // Base64 of plain JSON under octet-stream: the fallback's diagnosis wins.
  assert.throws(() => decodeRequestBody(jsonB64, uid2(true)), (e: Error) => e.message.startsWith(unencrypted));
  // Genuinely binary garbage keeps the binary error.
  assert.throws(() => decodeRequestBody(twos, uid2(true)), (e: Error) => e.message === `Invalid body: Invalid request envelope format version: received 2, must be 1.${hint}`);
  // Base64 of that garbage: the fallback's error about the decoded bytes wins (received 2, not 65).
  assert.throws(() => decodeRequestBody(Buffer.from(twos.toString('base64')), uid2(true)), (e: Error) => e.message.includes('received 2,'));
  // A valid envelope as base64 text under octet-stream parses, and the answer goes back as text.
  const env = encodeRequestEnvelope(secret, { nowMs: now, payload: '{"a":1}' });
  const r = decodeRequestBody(Buffer.from(env.toString('base64')), uid2(true));
  assert.deepEqual([r.payload, r.respondBinary], [{ a: 1 }, false]);
  // Raw JSON under octet-stream, and the EUID host.
  assert.throws(
    () => decodeRequestBody(Buffer.from('{"a": 1}'), { ...uid2(true), scope: IdentityScope.EUID }),
    (e: Error) => e.message.startsWith(unencrypted) && e.message.includes('https://euid.eu/docs/'),
  );
});

test('request envelope: edge cases of the rules', () => {
  assert.throws(() => decodeRequestBody(Buffer.alloc(0), uid2()), (e: Error) => e.message === 'Invalid body: Body is missing.');
  assert.throws(() => decodeRequestBody(undefined, uid2(true)), (e: Error) => e.message === 'Invalid body: Body is missing.');
  // A JSON array is not "unencrypted JSON" (must be an object) and not valid base64.
  assert.throws(() => decodeRequestBody(Buffer.from('[1,2]'), uid2()), (e: Error) => e.message === `Invalid body: Body is not valid base64.${hint}`);
  // Payloads that are JSON but not objects are rejected like upstream's JsonObject.
  for (const payload of ['[1]', '"x"', '1', 'null', ' ']) {
    const env = encodeRequestEnvelope(secret, { nowMs: now, payload });
    assert.throws(() => decodeRequestBody(env, uid2(true)), isProtocolError('ERR_JSON'), payload);
  }
  // JSON with whitespace is fine (vectors README §1).
  const spaced = encodeRequestEnvelope(secret, { nowMs: now, payload: ' {"a": 1 , "b" : [ ]}\n' });
  assert.deepEqual(decodeRequestBody(spaced, uid2(true)).payload, { a: 1, b: [] });
  // Freshness: ±119.999 s accepted, ±120 s rejected.
  for (const [skew, ok] of [[119_999, true], [-119_999, true], [120_000, false], [-120_000, false]] as const) {
    const env = encodeRequestEnvelope(secret, { nowMs: now + skew, payload: null });
    if (ok) assert.equal(decodeRequestBody(env, uid2(true)).payload, null);
    else assert.throws(() => decodeRequestBody(env, uid2(true)), isProtocolError('ERR_TIMESTAMP'));
  }
});

test('request envelope: every truncation and bit flip is a ProtocolError with an upstream message', () => {
  const env = encodeRequestEnvelope(secret, { nowMs: now, payload: '{"email":"test@example.com"}' });
  for (let n = 0; n < env.length; n++) {
    assert.throws(() => decodeRequestBody(Buffer.from(env.subarray(0, n).toString('base64')), uid2()), isProtocolError());
    assert.throws(() => decodeRequestBody(env.subarray(0, n), uid2(true)), isProtocolError());
  }
  for (let bit = 0; bit < env.length * 8; bit++) {
    const flipped = Buffer.from(env);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => decodeRequestBody(flipped, uid2(true)), (e: unknown) => isProtocolError()(e) && (e as Error).message.startsWith('Invalid body: '), `bit ${bit}`);
  }
  assert.throws(() => decodeRequestBody(env, { ...uid2(true), secret: Buffer.alloc(32, 6) }), (e: Error) => e.message === `Invalid body: Check encryption key (ClientSecret).${hint}`);
});

test('response envelope: truncation, bit flips and a wrong secret are ProtocolErrors', () => {
  const body = encodeResponseEnvelope(secret, now, Buffer.alloc(8, 1), '{"status":"success"}');
  for (let n = 0; n < body.length; n++) assert.throws(() => decodeResponseEnvelope(secret, body.subarray(0, n)), isProtocolError());
  for (let bit = 0; bit < body.length * 8; bit++) {
    const flipped = Buffer.from(body);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => decodeResponseEnvelope(secret, flipped), isProtocolError('ERR_DECRYPT'));
  }
  assert.throws(() => decodeResponseEnvelope(Buffer.alloc(32, 6), body), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => decodeResponseEnvelope(secret, 'not base64'), isProtocolError('ERR_BASE64'));
});

test('request decoder never throws anything but ProtocolError on random bodies', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.boolean(), (body, binary) => {
      assert.throws(() => decodeRequestBody(Buffer.from(body), uid2(binary)), isProtocolError());
    }),
    { numRuns: 200 },
  );
});
