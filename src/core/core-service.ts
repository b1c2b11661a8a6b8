/**
 * Starts Core on a data directory: config and JWT key from DIR, stores through the BlobStore,
 * operators and enclaves loaded before listening and then polled, HTTP on host:port.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AttestationTokenCodec } from '../attestation/attestation-token.ts';
import type { VerifierRegistry } from '../attestation/verifier-registry.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { buildCoreApp } from './app.ts';
import { openBlobBackend, type StorageKind } from './blob-backend.ts';
import { loadCoreConfig, type CoreConfig } from './core-config.ts';
import { EnclaveSync } from './enclave-sync.ts';
import { OperatorDirectory } from './operator-directory.ts';
import { startPolling } from './store-poller.ts';
import { loadOrCreateSigningKey, SIGNING_KEY_FILE } from './signing-key.ts';
import { createVerifierRegistry } from './verifier-set.ts';
import { CORE_CONFIG_FILE } from './dataset/index.ts';

export interface CoreServiceOptions {
  readonly dataDir: string;
  readonly port?: number;
  readonly host?: string;
  /** Overrides `core_public_url` (JWT issuer/audience, attestation URL check). */
  readonly publicUrl?: string;
  readonly storage?: StorageKind;
  readonly azureConnectionString?: string;
  readonly azureContainer?: string;
  readonly logger?: boolean;
  readonly now?: () => number;
  /** Environment layer of the config (variables named like the keys); the CLI passes `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Replaces the default verifier set (tests). */
  readonly verifiers?: (config: CoreConfig) => VerifierRegistry;
}

export interface CoreService {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly config: CoreConfig;
  readonly blobs: BlobStore;
  readonly verifiers: VerifierRegistry;
  readonly enclaves: EnclaveSync;
  /** Re-reads the operators and enclaves stores now (what the poller does each period). */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

export async function startCore(options: CoreServiceOptions): Promise<CoreService> {
  const now = options.now ?? Date.now;
  const config = loadCoreConfig(join(options.dataDir, CORE_CONFIG_FILE), { env: options.env, flags: { core_public_url: options.publicUrl } });
  let listenUrl = '';
  const backend = await openBlobBackend({
    dataDir: options.dataDir,
    kind: options.storage ?? 'fs',
    baseUrl: () => listenUrl,
    azureConnectionString: options.azureConnectionString,
    azureContainer: options.azureContainer,
    now,
  });
  const verifiers = (options.verifiers ?? createVerifierRegistry)(config);
  const operators = new OperatorDirectory(backend.store);
  const enclaves = new EnclaveSync(backend.store, verifiers);
  const refresh = async (): Promise<void> => {
    await operators.refresh();
    await enclaves.refresh();
  };
  await refresh();

  const app = await buildCoreApp({
    config,
    blobs: backend.store,
    loopbackSecret: backend.loopbackSecret,
    operators,
    verifiers,
    tokens: await AttestationTokenCodec.create(config.attTokenEncKey, config.attTokenEncSalt),
    signingKey: await loadOrCreateSigningKey(join(options.dataDir, SIGNING_KEY_FILE)),
    now,
    logger: options.logger,
  });
  const host = options.host ?? '127.0.0.1';
  const address = await app.listen({ port: options.port ?? 8088, host });
  // Loopback links must be reachable from operators: prefer the public URL when one is given.
  listenUrl = options.publicUrl ?? address.replace('0.0.0.0', '127.0.0.1');
  const poller = startPolling(config.storeRefreshMs, refresh, (err) => app.log.warn({ err: (err as Error)?.message }, 'store refresh failed'));

  return {
    app,
    url: address,
    config,
    blobs: backend.store,
    verifiers,
    enclaves,
    refresh,
    async close() {
      poller.stop();
      await app.close();
    },
  };
}
