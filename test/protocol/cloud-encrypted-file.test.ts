import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decryptCloudFile, encryptCloudFile } from '../../src/protocol/cloud-encrypted-file.ts';
import { aesGcmEncrypt } from '../../src/protocol/aes.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';

const key = { id: 7, secret: randomBytes(32) };
const lookup = (id: number) => (id === key.id ? key.secret : undefined);

test('round trip: {key_id, encrypted_payload: b64(IV ‖ ct ‖ tag)} decrypts to the plaintext file', () => {
  const plain = Buffer.from('[{"id":1}]');
  const file = encryptCloudFile(key, plain);
  const json = JSON.parse(file.toString('utf8')) as { key_id: number; encrypted_payload: string };
  assert.equal(json.key_id, 7);
  assert.equal(Buffer.from(json.encrypted_payload, 'base64').length, 12 + plain.length + 16);
  assert.deepEqual(decryptCloudFile(file, lookup), plain);
});

test('an envelope built independently (IV first, GCM tag last) decrypts', () => {
  const plain = Buffer.from('salt,csv\n');
  const payload = aesGcmEncrypt(key.secret, plain, { iv: Buffer.alloc(12, 1) }).toString('base64');
  assert.deepEqual(decryptCloudFile(Buffer.from(JSON.stringify({ key_id: 7, encrypted_payload: payload })), lookup), plain);
});

test('failures are ProtocolErrors with a code', () => {
  const file = encryptCloudFile(key, Buffer.from('x'));
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      return isProtocolError(err) ? err.code : 'not a ProtocolError';
    }
    return 'no error';
  };
  assert.equal(code(() => decryptCloudFile(Buffer.from('not json'), lookup)), 'ERR_JSON');
  assert.equal(code(() => decryptCloudFile(Buffer.from('[{"id":1}]'), lookup)), 'ERR_FORMAT');
  assert.equal(code(() => decryptCloudFile(Buffer.from('{"key_id":"7","encrypted_payload":""}'), lookup)), 'ERR_FORMAT');
  assert.equal(code(() => decryptCloudFile(file, () => undefined)), 'ERR_UNKNOWN_KEY');
  assert.equal(code(() => decryptCloudFile(file, () => randomBytes(32))), 'ERR_DECRYPT');
  assert.equal(code(() => decryptCloudFile(Buffer.from('{"key_id":7,"encrypted_payload":"@@"}'), lookup)), 'ERR_BASE64');
  const tampered = JSON.parse(file.toString('utf8')) as { key_id: number; encrypted_payload: string };
  const bytes = Buffer.from(tampered.encrypted_payload, 'base64');
  bytes[bytes.length - 1] ^= 1;
  assert.equal(code(() => decryptCloudFile(Buffer.from(JSON.stringify({ key_id: 7, encrypted_payload: bytes.toString('base64') })), lookup)), 'ERR_DECRYPT');
});
