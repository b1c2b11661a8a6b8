/**
 * Cloud-key encrypted store files (spec operator-spec.md §12.3, upstream `CloudEncryptionHelpers`).
 * Core serves them to operators that ask with `Encrypted: true`; the operator decrypts with the
 * cloud encryption key of its site before parsing the file as usual.
 *
 *   file       = UTF-8 JSON {"key_id": <int>, "encrypted_payload": base64(sealed)}
 *   sealed     = IV (12) ‖ AES-256-GCM ciphertext ‖ tag (16), no AAD
 *   plaintext  = the normal store file (JSON or salt CSV)
 */
import { aesGcmDecrypt, aesGcmEncrypt } from './aes.ts';
import { decodeBase64 } from './base64.ts';
import { ProtocolError, UnknownKeyError } from './errors.ts';

export interface CloudKeyMaterial {
  readonly id: number;
  /** 32-byte AES-256 key. */
  readonly secret: Uint8Array;
}

/** Encrypts a store file with a cloud key (Core side). */
export function encryptCloudFile(key: CloudKeyMaterial, plain: Uint8Array): Buffer {
  const payload = aesGcmEncrypt(key.secret, plain).toString('base64');
  return Buffer.from(JSON.stringify({ key_id: key.id, encrypted_payload: payload }), 'utf8');
}

/** Decrypts a store file with the cloud keys of the operator's site (by key id). */
export function decryptCloudFileWithKeys(file: Uint8Array, keys: readonly CloudKeyMaterial[]): Buffer {
  const byId = new Map(keys.map((k) => [k.id, k.secret]));
  return decryptCloudFile(file, (keyId) => byId.get(keyId));
}

/**
 * Decrypts a store file (operator side). `lookup` gives the secret of a cloud key id. Throws
 * ProtocolError: ERR_JSON/ERR_FORMAT for a file that is not an encrypted envelope, ERR_BASE64,
 * ERR_UNKNOWN_KEY, ERR_DECRYPT.
 */
export function decryptCloudFile(file: Uint8Array, lookup: (keyId: number) => Uint8Array | undefined): Buffer {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString('utf8'));
  } catch {
    throw new ProtocolError('ERR_JSON', 'encrypted store file is not JSON');
  }
  const o = (typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  const keyId = o.key_id;
  const payload = o.encrypted_payload;
  if (typeof keyId !== 'number' || !Number.isSafeInteger(keyId) || typeof payload !== 'string') {
    throw new ProtocolError('ERR_FORMAT', 'store file is not {key_id, encrypted_payload}');
  }
  const secret = lookup(keyId);
  if (secret === undefined) throw new UnknownKeyError(keyId);
  return aesGcmDecrypt(secret, decodeBase64(payload));
}
