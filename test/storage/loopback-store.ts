/**
 * Test harness for the loopback-signed backends: builds a store with `make(signerOptions)` and
 * serves its signed URLs from a Fastify app on 127.0.0.1:0 via `blobDownloadRoutes`.
 */
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { blobDownloadRoutes } from '../../src/storage/blob-download-routes.ts';
import type { UrlSignerOptions } from '../../src/storage/signed-url.ts';

export async function serveLoopbackStore(
  make: (signer: UrlSignerOptions) => BlobStore,
  now?: () => number,
): Promise<{ store: BlobStore; baseUrl: string; close(): Promise<void> }> {
  const secret = randomBytes(32);
  let baseUrl = '';
  const store = make({ baseUrl: () => baseUrl, secret, now });
  const app = Fastify({ logger: false });
  await app.register(blobDownloadRoutes, { store, secret, now });
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { store, baseUrl, close: () => app.close() };
}
