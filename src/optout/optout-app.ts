/**
 * The OptOut HTTP app (issue 4): routes registered as plugins with their dependencies, one error
 * handler answering from the catalogue (`optout-errors.ts`), and request logging that drops query
 * strings (they carry identity hashes, which are never logged). Bodies are read as text of at
 * most 1 MiB (operator-spec.md §1) and validated by the route, so a malformed body is a 400 from
 * us, never a parser stack trace. The server's timeouts and caps (src/http) are installed before
 * any route; every route with auth checks it before the body is read.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { KeyIndex, OperatorRecord } from '../auth/index.ts';
import { isBodyBudgetExceeded } from '../http/body-budget.ts';
import { fastifyLimitOptions, installServerLimits } from '../http/fastify-server-limits.ts';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from '../http/server-limits.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { blobDownloadRoutes } from '../storage/blob-download-routes.ts';
import type { OperatorAttestation } from './operator-auth.ts';
import { InternalError, OptOutError, RequestRejected, ServiceBusy } from './optout-errors.ts';
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
  /** How operator calls are attested (`operator-auth.ts`). */
  readonly attestation: OperatorAttestation;
  /** Default: `DEFAULT_SERVER_LIMITS`. */
  readonly serverLimits?: ServerLimits;
  /** Serve the local backends' signed links at `/blobs/*` (fs/memory stores only). */
  readonly blobDownloads?: { readonly secret: Buffer };
  readonly logger?: FastifyServerOptions['logger'];
  readonly now?: () => number;
}

/** Request log lines show the path only. */
export const requestLogSerializers = {
  req: (req: { method?: string; url?: string }) => ({ method: req.method, path: (req.url ?? '').split('?')[0] }),
};

/** The catalogue error for anything a request ends with. */
function optOutErrorOf(err: unknown, log: (message: string | undefined) => void): OptOutError {
  if (err instanceof OptOutError) return err;
  if (isBodyBudgetExceeded(err)) return new ServiceBusy();
  const code = (err as { statusCode?: number }).statusCode;
  if (typeof code === 'number' && code >= 400 && code < 500) return new RequestRejected(code);
  log((err as { message?: string }).message);
  return new InternalError();
}

export async function buildOptOutApp(deps: OptOutAppDeps): Promise<FastifyInstance> {
  const limits = deps.serverLimits ?? DEFAULT_SERVER_LIMITS;
  const app = Fastify({ logger: deps.logger ?? false, bodyLimit: MAX_REQUEST_BODY_SIZE, ...fastifyLimitOptions(limits) });
  installServerLimits(app, limits, MAX_REQUEST_BODY_SIZE);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err, request, reply) => {
    const error = optOutErrorOf(err, (message) => request.log.error({ err: message }, 'request failed'));
    return reply.code(error.httpCode).type('application/json').send(error.toBody());
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).type('text/plain').send('Not Found'));
  await app.register(replicateRoutes, { log: deps.log, keys: deps.keys, attestation: deps.attestation });
  await app.register(refreshRoutes, {
    log: deps.log,
    store: deps.store,
    keys: deps.keys,
    signedUrlTtlS: deps.signedUrlTtlS,
    attestation: deps.attestation,
    now: deps.now,
  });
  await app.register(opsRoutes, { problems: deps.problems });
  if (deps.blobDownloads) await app.register(blobDownloadRoutes, { store: deps.store, secret: deps.blobDownloads.secret, now: deps.now });
  return app;
}
