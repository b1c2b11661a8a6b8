/** The cloud-file decryption job (cloud-decrypt-thread.ts): `decryptCloudFileWithKeys`, plaintext moved back. */
import { decryptCloudFileWithKeys } from '../../protocol/cloud-encrypted-file.ts';
import { bufferOf, serveJob } from '../threads/job-thread.ts';
import type { DecryptRequest } from './cloud-decrypt-thread.ts';

serveJob<DecryptRequest, Uint8Array>(({ file, keys }) => {
  const plain = decryptCloudFileWithKeys(file, keys);
  return { result: plain, transfer: [bufferOf(plain)] };
}, 'decryption failed');
