/** The cloud-file decryption job (cloud-decrypt-thread.ts): `decryptCloudFile`, plaintext moved back. */
import { decryptCloudFile } from '../../protocol/cloud-encrypted-file.ts';
import { bufferOf, serveJob } from '../threads/job-thread.ts';
import type { DecryptRequest } from './cloud-decrypt-thread.ts';

serveJob<DecryptRequest, Uint8Array>(({ file, keys }) => {
  const secrets = new Map(keys.map((k) => [k.id, k.secret]));
  const plain = decryptCloudFile(file, (id) => secrets.get(id));
  return { result: plain, transfer: [bufferOf(plain)] };
}, 'decryption failed');
