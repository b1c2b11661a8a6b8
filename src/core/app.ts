/**
 * Core's HTTP application: `/attest`, the metadata routes, the JWKS, health, and (fs backend)
 * the signed blob downloads. Everything it needs arrives in `deps`; no module-level state.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AttestationHeaderOptions } from '../attestation/attestation-headers.ts';
import type { AttestationTokenCodec } from '../attestation/attestation-token.ts';
import type { VerifierRegistry } from '../attestation/verifier-registry.ts';
import { isBodyBudgetExceeded } from '../http/body-budget.ts';
import { fastifyLimitOptions, installServerLimits } from '../http/fastify-server-limits.ts';
import { blobDownloadRoutes } from '../storage/blob-download-routes.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { CoreConfig } from './core-config.ts';
import { CoreError, InternalError, RequestRejected, ServiceBusy } from './core-errors.ts';
import type { OperatorDirectory } from './operator-directory.ts';
import { attestRoutes } from './routes/attest.ts';
import { metadataRoutes } from './routes/metadata.ts';
import { jwks, type CoreSigningKey } from './signing-key.ts';

export interface CoreAppDeps {
  readonly config: CoreConfig;
  readonly blobs: BlobStore;
  readonly loopbackSecret?: Buffer;
  readonly operators: OperatorDirectory;
  readonly verifiers: VerifierRegistry;
  readonly tokens: AttestationTokenCodec;
  readonly signingKey: CoreSigningKey;
  readonly now: () => number;
  readonly logger?: boolean;
}

/** 1 MiB, as upstream's body limit. */
const BODY_LIMIT = 1 << 20;

export async function buildCoreApp(deps: CoreAppDeps): Promise<FastifyInstance> {
  // No per-request logs: blob download URLs carry signatures.
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: BODY_LIMIT,
    logController: new LogController({ disableRequestLogging: true }),
    ...fastifyLimitOptions(deps.config.serverLimits),
  });
  installServerLimits(app, deps.config.serverLimits, BODY_LIMIT);
  const attestation: AttestationHeaderOptions = {
    tokens: deps.tokens,
    jwtKey: deps.signingKey.publicKey,
    issuer: deps.config.corePublicUrl,
    audience: deps.config.corePublicUrl,
    enforceJwt: deps.config.enforceJwt,
    now: deps.now,
  };
  // One error handler: catalogue errors as they are; framework 4xx keep their code; anything
  // unexpected is a logged 500 with no detail (no stack traces to callers).
  app.setErrorHandler((err, request, reply) => {
    let error: CoreError;
    if (err instanceof CoreError) error = err;
    else if (isBodyBudgetExceeded(err)) error = new ServiceBusy();
    else {
      const code = (err as { statusCode?: number }).statusCode;
      if (code !== undefined && code >= 400 && code < 500) error = new RequestRejected(code);
      else {
        request.log.error({ err: (err as Error)?.message }, 'unhandled error');
        error = new InternalError();
      }
    }
    return reply.code(error.httpCode).send(error.toBody());
  });
  await app.register(attestRoutes, deps);
  await app.register(metadataRoutes, { ...deps, attestation });
  const keys = await jwks(deps.signingKey);
  app.get('/.well-known/jwks.json', async () => keys);
  app.get('/ops/healthcheck', async (_req, reply) => reply.type('text/plain').send('OK'));
  if (deps.loopbackSecret) await app.register(blobDownloadRoutes, { store: deps.blobs, secret: deps.loopbackSecret, now: deps.now });
  return app;
}
