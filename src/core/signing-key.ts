/**
 * Core's JWT signing key (spec attestation-azure.md §1.5; upstream signs with AWS KMS). Generated
 * at first start and kept in the data directory so JWTs stay verifiable across restarts; its
 * public half is published as a JWKS at /.well-known/jwks.json for OptOut.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { exportJWK, type JWK } from 'jose';
import type { JwtSigningKey } from '../attestation/operator-jwt.ts';

export const SIGNING_KEY_FILE = 'core-jwt-signing-key.pem';

export interface CoreSigningKey extends JwtSigningKey {
  readonly publicKey: KeyObject;
}

function fromPrivate(privateKey: KeyObject): CoreSigningKey {
  const publicKey = createPublicKey(privateKey);
  const kid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 16);
  return { privateKey, publicKey, kid };
}

export async function loadOrCreateSigningKey(path: string): Promise<CoreSigningKey> {
  try {
    return fromPrivate(createPrivateKey(await readFile(path, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // 'wx': two Cores started together must not overwrite each other's key.
  try {
    await writeFile(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fromPrivate(createPrivateKey(await readFile(path, 'utf8')));
    throw err;
  }
  return fromPrivate(privateKey);
}

export async function jwks(key: CoreSigningKey): Promise<{ keys: JWK[] }> {
  const jwk = await exportJWK(key.publicKey);
  return { keys: [{ ...jwk, kid: key.kid, alg: 'RS256', use: 'sig' }] };
}
