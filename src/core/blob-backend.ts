/**
 * Where Core's stores live: the data directory itself (default; download links are signed
 * loopback URLs served by Core) or an Azure Blob container (links are SAS URLs).
 */
import { randomBytes } from 'node:crypto';
import { createAzureBlobStore } from '../azure/azure-blob-store.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { FsBlobStore } from '../storage/fs-blob-store.ts';

export type StorageKind = 'fs' | 'azure';

export interface BlobBackend {
  readonly store: BlobStore;
  /** Set for the fs backend: Core must serve `blobDownloadRoutes` with this secret. */
  readonly loopbackSecret?: Buffer;
}

export interface BlobBackendOptions {
  readonly dataDir: string;
  readonly kind: StorageKind;
  /** Base URL of this Core, for loopback links; a function when the port is known only later. */
  readonly baseUrl: string | (() => string);
  readonly azureConnectionString?: string;
  readonly azureContainer?: string;
  readonly now?: () => number;
}

export async function openBlobBackend(options: BlobBackendOptions): Promise<BlobBackend> {
  if (options.kind === 'azure') {
    if (!options.azureConnectionString) throw new Error('--storage azure needs AZURE_STORAGE_CONNECTION_STRING');
    return { store: await createAzureBlobStore(options.azureConnectionString, options.azureContainer ?? 'uid2-core') };
  }
  // A fresh secret per process: links outlive neither their TTL nor this Core.
  const secret = randomBytes(32);
  return { store: new FsBlobStore({ root: options.dataDir, layout: 'flat', baseUrl: options.baseUrl, secret, now: options.now }), loopbackSecret: secret };
}
