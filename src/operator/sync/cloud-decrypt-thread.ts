/**
 * Decrypts a large cloud-key encrypted store file on a job thread (../threads/job-thread.ts,
 * cloud-decrypt-worker.ts). An encrypted salt snapshot of 2^20 buckets is ~120 MB of JSON around
 * base64: parsing, decoding and decrypting it held the event loop for 0.7-1 s per salt swap
 * (issue 6). The file is moved to the thread with the operator's cloud keys (a handful of 32-byte
 * secrets) and the plaintext moved back. `undefined` (file untouched) when the job could not be
 * handed over; errors are the `ProtocolError`s `decryptCloudFile` throws.
 */
import type { CloudKeyMaterial } from '../../protocol/cloud-encrypted-file.ts';
import { asBuffer, bufferOf, runJobOnThread } from '../threads/job-thread.ts';
import { moduleUrl } from '../threads/module-worker.ts';

export interface DecryptRequest {
  readonly file: Uint8Array;
  readonly keys: readonly CloudKeyMaterial[];
}

const WORKER_URL = moduleUrl(import.meta.url, 'cloud-decrypt-worker');

function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

export async function decryptCloudFileOffThread(file: Buffer, keys: readonly CloudKeyMaterial[]): Promise<Buffer | undefined> {
  // A view on part of a larger buffer cannot be moved (Node 24 reads and copies small files into
  // a shared, untransferable pool): such a file, small by nature, is copied into memory of its own.
  const own = file.byteLength === file.buffer.byteLength ? file : ownCopy(file);
  const request: DecryptRequest = { file: own, keys: keys.map((k) => ({ id: k.id, secret: k.secret })) };
  const done = await runJobOnThread<DecryptRequest, Uint8Array>(WORKER_URL, request, [bufferOf(own)]);
  return done === undefined ? undefined : asBuffer(done.result);
}
