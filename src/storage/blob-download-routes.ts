/**
 * Serves the signed loopback URLs of the local blob backends (`signed-url.ts`):
 * `GET /blobs/<path>?exp=&sig=` answers the blob bytes, 403 for a bad or expired signature
 * (checked in constant time before the store is touched) and 404 for a missing blob.
 */
import type { FastifyInstance } from 'fastify';
import type { BlobStore } from './blob-store.ts';
import { isValidBlobPath } from './blob-path.ts';
import { verifySignedBlobUrl } from './signed-url.ts';

export interface BlobDownloadOptions {
  store: BlobStore;
  secret: Buffer;
  now?: () => number;
}

export async function blobDownloadRoutes(app: FastifyInstance, options: BlobDownloadOptions): Promise<void> {
  const now = options.now ?? Date.now;
  app.get<{ Params: { '*': string }; Querystring: { exp?: string; sig?: string } }>('/blobs/*', async (request, reply) => {
    const path = request.params['*'];
    const { exp, sig } = request.query;
    const valid = isValidBlobPath(path) && verifySignedBlobUrl(options.secret, path, exp, sig, now());
    if (!valid) return reply.code(403).type('text/plain').send('Forbidden');
    const data = await options.store.get(path);
    if (!data) return reply.code(404).type('text/plain').send('Not Found');
    return reply.type('application/octet-stream').header('cache-control', 'no-store').send(data);
  });
}
