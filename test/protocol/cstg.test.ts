import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import {
  cstgAad,
  cstgSharedSecret,
  decryptCstgPayload,
  decryptCstgResponse,
  encryptCstgRequest,
  encryptCstgResponse,
  parseCstgKeypair,
  parseCstgPrivateKey,
  parseCstgPublicKey,
} from '../../src/protocol/cstg.ts';
import { fixturesDir, loadVectors } from '../support/shared.ts';
import { assertCovered, assertVectorFields, b64, isProtocolError, vectorName, type Vector } from './vector-support.ts';

const vectors: Vector[] = loadVectors().cstg;

vectors.forEach((v, i) => {
  test(vectorName('cstg', v, i), () => {
    const shared = Buffer.from(v.shared_secret_b64, 'base64');
    const iv = Buffer.from(v.iv_hex, 'hex');
    if (v.kind === 'response') {
      assertCovered(v, ['shared_secret_b64', 'iv_hex', 'plaintext', 'response_b64']);
      assertVectorFields({ response_b64: encryptCstgResponse(shared, v.plaintext, iv), plaintext: decryptCstgResponse(shared, v.response_b64) }, v);
      assert.equal(Buffer.from(v.response_b64, 'base64').subarray(0, 12).toString('hex'), v.iv_hex);
      return;
    }
    assertCovered(v, [
      'server_public_key', 'server_private_key', 'client_private_key_pkcs8_b64', 'client_public_key_spki_b64', 'shared_secret_b64',
      'iv_hex', 'iv_b64', 'timestamp_ms', 'app_name', 'aad', 'plaintext', 'payload_b64', 'request_json',
    ]);
    const server = parseCstgKeypair(v.server_public_key, v.server_private_key);
    assert.equal(server.publicKeyPrefix, v.server_public_key.slice(0, 9));
    const clientPrivateKey = createPrivateKey({ key: Buffer.from(v.client_private_key_pkcs8_b64, 'base64'), format: 'der', type: 'pkcs8' });
    const { body, sharedSecret } = encryptCstgRequest({
      serverPublicKey: v.server_public_key,
      clientPrivateKey,
      plaintext: v.plaintext,
      timestampMs: v.timestamp_ms,
      subscriptionId: v.request_json.subscription_id,
      appName: v.app_name,
      iv,
    });
    // The request JSON matches field for field and in the SDK's key order.
    assert.equal(JSON.stringify(body), JSON.stringify(v.request_json));
    const serverShared = cstgSharedSecret(server.privateKey, body.public_key);
    const payload = decryptCstgPayload(serverShared, { payload: body.payload, iv: body.iv, timestampMs: body.timestamp, appName: body.app_name });
    assertVectorFields(
      {
        client_public_key_spki_b64: b64(createPublicKey(clientPrivateKey).export({ format: 'der', type: 'spki' })),
        shared_secret_b64: b64(serverShared),
        iv_b64: body.iv,
        timestamp_ms: body.timestamp,
        app_name: body.app_name ?? null,
        aad: cstgAad(v.timestamp_ms, v.app_name).toString('utf8'),
        payload_b64: body.payload,
        plaintext: JSON.stringify(payload),
        iv_hex: Buffer.from(body.iv, 'base64').toString('hex'),
      },
      v,
    );
    assert.deepEqual(sharedSecret, serverShared, 'ECDH agrees both ways');
  });
});

test('cstg: the fixture keypair of subscription 4WvryDGbR5 parses and matches', () => {
  const records = JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core', 'test', 'client_side_keypairs', 'client_side_keypairs.json'), 'utf8')) as Vector[];
  const record = records.find((r) => r.subscription_id === '4WvryDGbR5')!;
  const keypair = parseCstgKeypair(record.public_key, record.private_key);
  assert.equal(b64(keypair.publicKeySpki), record.public_key.slice(9));
});

test('cstg: request → server decrypt → response round trip with fresh client keys', () => {
  const server = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serverPublic = `UID2-X-L-${b64(server.publicKey.export({ format: 'der', type: 'spki' }))}`;
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.string()).map((o) => ({ ...o })),
      fc.integer({ min: 0, max: 2 ** 47 }),
      fc.option(fc.string(), { nil: null }),
      fc.string(),
      (payload, timestampMs, appName, answer) => {
        const { body, sharedSecret } = encryptCstgRequest({ serverPublicKey: serverPublic, plaintext: JSON.stringify(payload), timestampMs, subscriptionId: 'sub', appName });
        const shared = cstgSharedSecret(server.privateKey, body.public_key);
        assert.deepEqual(decryptCstgPayload(shared, { payload: body.payload, iv: body.iv, timestampMs: body.timestamp, appName: body.app_name }), payload);
        assert.equal(decryptCstgResponse(sharedSecret, encryptCstgResponse(shared, answer)), answer);
      },
    ),
    { numRuns: 100 },
  );
});

test('cstg: typed errors for bad public key, bad iv, failed decryption and invalid JSON', () => {
  const v = vectors[0];
  const server = parseCstgKeypair(v.server_public_key, v.server_private_key);
  const shared = Buffer.from(v.shared_secret_b64, 'base64');
  const req = v.request_json;
  const ok = { payload: req.payload, iv: req.iv, timestampMs: req.timestamp };
  for (const bad of ['', 'not base64!', 'AAAA', v.server_public_key.slice(9, 60), b64(generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' }))]) {
    assert.throws(() => cstgSharedSecret(server.privateKey, bad), isProtocolError('ERR_PUBLIC_KEY'), bad);
  }
  for (const iv of ['', 'AAAA', 'not base64', b64(Buffer.alloc(16))]) assert.throws(() => decryptCstgPayload(shared, { ...ok, iv }), isProtocolError('ERR_IV'), iv);
  assert.throws(() => decryptCstgPayload(shared, { ...ok, timestampMs: req.timestamp + 1 }), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => decryptCstgPayload(shared, { ...ok, appName: 'x' }), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => decryptCstgPayload(Buffer.alloc(32), ok), isProtocolError('ERR_DECRYPT'));
  assert.throws(() => decryptCstgPayload(shared, { ...ok, payload: 'not base64!' }), isProtocolError('ERR_DECRYPT'));
  const payloadBytes = Buffer.from(req.payload, 'base64');
  for (let n = 0; n < payloadBytes.length; n++) {
    assert.throws(() => decryptCstgPayload(shared, { ...ok, payload: b64(payloadBytes.subarray(0, n)) }), isProtocolError('ERR_DECRYPT'));
  }
  for (let bit = 0; bit < payloadBytes.length * 8; bit++) {
    const flipped = Buffer.from(payloadBytes);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => decryptCstgPayload(shared, { ...ok, payload: b64(flipped) }), isProtocolError('ERR_DECRYPT'));
  }
  const notJson = encryptCstgRequest({ serverPublicKey: server.publicKey, plaintext: '[1, 2]', timestampMs: 1, subscriptionId: 's' });
  const s2 = cstgSharedSecret(server.privateKey, notJson.body.public_key);
  assert.throws(() => decryptCstgPayload(s2, { payload: notJson.body.payload, iv: notJson.body.iv, timestampMs: 1 }), isProtocolError('ERR_JSON'));
  assert.throws(() => parseCstgPublicKey(v.server_private_key), isProtocolError('ERR_INVALID_INPUT'));
  assert.throws(() => parseCstgPrivateKey(v.server_public_key), isProtocolError('ERR_INVALID_INPUT'));
  assert.throws(() => parseCstgKeypair(v.server_public_key, vectors[1].server_private_key), isProtocolError('ERR_INVALID_INPUT'));
});
