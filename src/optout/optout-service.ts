/**
 * Wires the OptOut service for a data directory (issue 4): config, operator keys, blob backend,
 * opt-out log, HTTP app and the background loop. Used by `uid2 optout` and by tests.
 *
 * DIR/optout-config.json   optional config (`optout-config.ts`; environment variables named like its keys override it)
 * DIR/optout/pending/      local delta files in progress (`delta-log.ts`)
 * DIR/optout/blobs/        published files when storage=fs (`FsBlobStore`), served at /blobs/*
 * DIR/stores/operators/    operator keys when storage=fs (Core's stores, the data set itself)
 * storage=azure uses the container `optout_blob_container` of AZURE_STORAGE_CONNECTION_STRING for
 * the published files and reads the operator keys from Core's container (`core_blob_container`).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { createRemoteJWKSet } from 'jose';
import { AttestationTokenCodec } from '../attestation/attestation-token.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { FsBlobStore } from '../storage/fs-blob-store.ts';
import { createAzureBlobStore } from '../azure/azure-blob-store.ts';
import { loadOptOutConfig, type OptOutAttestationConfig, type OptOutConfig } from './optout-config.ts';
import type { OperatorAttestation } from './operator-auth.ts';
import { OperatorKeyStore } from './operator-keys.ts';
import { OptOutLog } from './optout-log.ts';
import { buildOptOutApp } from './optout-app.ts';

export type OptOutStorageKind = 'fs' | 'azure';

export interface OptOutServiceOptions {
  readonly dataDir: string;
  readonly host?: string;
  readonly port?: number;
  readonly storage?: OptOutStorageKind;
  /** Overrides `core_blob_container` (storage=azure: where Core's stores, hence the operator keys, live). */
  readonly coreContainer?: string;
  /** Config layer over optout-config.json (variables named like the keys) and source of AZURE_STORAGE_CONNECTION_STRING. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: FastifyServerOptions['logger'];
  /** Run rotation/publishing/key reloads in the background (default true; tests may call tick()). */
  readonly background?: boolean;
  readonly now?: () => number;
}

export interface RunningOptOutService {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly log: OptOutLog;
  readonly store: BlobStore;
  readonly config: OptOutConfig;
  close(): Promise<void>;
}

/** The attestation checks of the config: Core's token keys (PBKDF2 once, here) and its JWKS, fetched when first needed. */
async function operatorAttestation(config: OptOutAttestationConfig, now: (() => number) | undefined): Promise<OperatorAttestation> {
  if (config.tokenKeys === undefined) return { options: undefined, enforceJwt: config.enforceJwt };
  return {
    enforceJwt: config.enforceJwt,
    options: {
      tokens: await AttestationTokenCodec.create(config.tokenKeys.key, config.tokenKeys.salt),
      jwtKey: createRemoteJWKSet(new URL(config.jwksUrl)),
      issuer: config.issuer,
      audience: config.audience,
      enforceJwt: config.enforceJwt,
      now,
    },
  };
}

/** Runs `job` every `periodMs` without overlapping runs; returns a stop function. */
function every(periodMs: number, job: () => Promise<void>): () => Promise<void> {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      running = job().finally(() => {
        if (!stopped) schedule();
      });
    }, periodMs);
  };
  schedule();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}

export async function startOptOutService(options: OptOutServiceOptions): Promise<RunningOptOutService> {
  const env = options.env ?? process.env;
  const config = loadOptOutConfig(options.dataDir, { env: options.env });
  const background = options.background ?? true;

  let baseUrl = config.publicBaseUrl ?? '';
  const urlSecret = randomBytes(32);
  let store: BlobStore;
  // Core's stores: OptOut reads the operator keys from the same place Core (and `uid2 admin`) do.
  let coreStores: BlobStore;
  if (options.storage === 'azure') {
    const connection = env.AZURE_STORAGE_CONNECTION_STRING;
    if (!connection) throw new Error('storage=azure needs AZURE_STORAGE_CONNECTION_STRING');
    store = await createAzureBlobStore(connection, config.blobContainer);
    coreStores = await createAzureBlobStore(connection, options.coreContainer ?? config.coreBlobContainer);
  } else {
    store = new FsBlobStore({ root: join(options.dataDir, 'optout', 'blobs'), baseUrl: () => baseUrl, secret: urlSecret, now: options.now });
    coreStores = new FsBlobStore({ root: options.dataDir, layout: 'flat' });
  }

  const keys = new OperatorKeyStore(coreStores, config.operatorsMetadataPath);
  let keysProblem: string | undefined = 'operators: not loaded';
  const reloadKeys = async () => {
    try {
      await keys.reload();
      keysProblem = undefined;
    } catch (err) {
      // Keep the last good keys; unhealthy only until the first successful load (§12.4).
      if (!keys.isLoaded) keysProblem = 'operators: not loaded';
      app?.log.warn({ err: (err as Error).message }, 'operator key store reload failed');
    }
  };
  let app: FastifyInstance | undefined;
  await reloadKeys();

  const log = await OptOutLog.open({ store, pendingDir: join(options.dataDir, 'optout', 'pending'), config, now: options.now });
  app = await buildOptOutApp({
    log,
    store,
    keys: () => keys.current(),
    signedUrlTtlS: config.signedUrlTtlS,
    problems: () => (keysProblem ? [keysProblem] : []),
    attestation: await operatorAttestation(config.attestation, options.now),
    serverLimits: config.serverLimits,
    blobDownloads: options.storage === 'azure' ? undefined : { secret: urlSecret },
    logger: options.logger,
    now: options.now,
  });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const port = (app.server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  if (!baseUrl) baseUrl = url;

  const stops: Array<() => Promise<void>> = [];
  if (background) {
    const tickMs = Math.min(config.publishIntervalMs, config.deltaRotateIntervalS * 1000);
    const running = app;
    stops.push(
      every(tickMs, () => log.tick().catch((err) => running.log.error({ err: (err as Error).message }, 'opt-out log maintenance failed'))),
      every(config.authRefreshMs, reloadKeys),
    );
  }

  const running = app;
  return {
    url,
    app: running,
    log,
    store,
    config,
    close: async () => {
      for (const stop of stops) await stop();
      await running.close();
      await log.close();
    },
  };
}
