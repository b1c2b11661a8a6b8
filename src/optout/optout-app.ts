/**
 * The OptOut HTTP app (issue 4): routes registered as plugins with their dependencies, one error
 * handler, and request logging that drops query strings (they carry identity hashes, which are
 * never logged). Bodies are read as text of at most 1 MiB (operator-spec.md §1) and validated by
 * the route, so a malformed body is a 400 from us, never a parser stack trace.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions, type preHandlerAsyncHookHandler } from 'fastify';
import type { KeyIndex, OperatorRecord } from '../auth/index.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { blobDownloadRoutes } from '../storage/blob-download-routes.ts';
import type { OptOutLog } from './optout-log.ts';
import { replicateRoutes } from './routes/replicate.ts';
import { refreshRoutes } from './routes/refresh.ts';
import { opsRoutes } from './routes/ops.ts';

export const MAX_REQUEST_BODY_SIZE = 1 << 20;

export interface OptOutAppDeps {
  readonly log: OptOutLog;
  readonly store: BlobStore;
  readonly keys: () => KeyIndex<OperatorRecord>;
  readonly signedUrlTtlS: number;
  /** Health problems, `"<component>: <reason>"`. */
  readonly problems: () => string[];
  /** Extra check on `/optout/refresh` after the key check (attestation token / JWT). */
  readonly attestRefresh?: preHandlerAsyncHookHandler;
  /** Serve the local backends' signed links at `/blobs/*` (fs/memory stores only). */
  readonly blobDownloads?: { readonly secret: Buffer };
  readonly logger?: FastifyServerOptions['logger'];
  readonly now?: () => number;
}

/** Request log lines show the path only. */
export const requestLogSerializers = {
  req: (req: { method?: string; url?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0] }),
};

export async function buildOptOutApp(deps: OptOutAppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: MAX_REQUEST_BODY_SIZE });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: { statusCode?: number; message?: string }, request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err: err.message }, 'request failed');
    return reply.code(status).type('application/json').send({ status: status === 500 ? 'unknown' : 'client_error' });
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('Not Found'));
  await app.register(replicateRoutes, { log: deps.log, keys: deps.keys });
  await app.register(refreshRoutes, {
    log: deps.log,
    store: deps.store,
    keys: deps.keys,
    signedUrlTtlS: deps.signedUrlTtlS,
    attest: deps.attestRefresh,
    now: deps.now,
  });
  await app.register(opsRoutes, { problems: deps.problems });
  if (deps.blobDownloads) await app.register(blobDownloadRoutes, { store: deps.store, secret: deps.blobDownloads.secret, now: deps.now });
  return app;
}
