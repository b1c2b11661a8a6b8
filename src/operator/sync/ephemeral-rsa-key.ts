/**
 * The operator's per-attempt RSA-2048 key pair (spec attestation-azure.md §1.2 step 1, §1.4).
 *
 * Core wraps the attestation token with RSAES-PKCS1-v1_5 (`RSA/ECB/PKCS1Padding`), not OAEP.
 * Node >= 20.11.1 refuses `privateDecrypt` with `RSA_PKCS1_PADDING` (CVE-2023-46809), and
 * reverting that fix process-wide is not acceptable, so decryption goes through node-forge
 * (§6.1). Only this one token is ever decrypted with the key, so the padding oracle that motivated
 * Node's change has nothing to leak: the key is thrown away after one use.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generateRsa = promisify(generateKeyPair);

export interface EphemeralKeyPair {
  /** X.509 SubjectPublicKeyInfo DER (294 bytes for RSA-2048). */
  readonly spkiDer: Buffer;
  /** RSAES-PKCS1-v1_5 decryption; throws on a bad ciphertext or padding. */
  decrypt(ciphertext: Buffer): Buffer;
}

/** Generates a fresh key pair off the event loop (RSA key generation takes tens of ms). */
export async function generateEphemeralKeyPair(): Promise<EphemeralKeyPair> {
  const { publicKey, privateKey } = await generateRsa('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey);
  return {
    spkiDer: publicKey,
    decrypt(ciphertext: Buffer): Buffer {
      const plain = forgeKey.decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5');
      return Buffer.from(plain, 'binary');
    },
  };
}
