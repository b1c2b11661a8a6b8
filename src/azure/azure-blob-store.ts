/**
 * Azure Blob Storage `BlobStore` (docs/architecture.md "Blob storage"). Each blob is written with
 * one Put Blob call, which Azure commits atomically, so readers never see half a blob. Download
 * links are service SAS URLs with read-only permission and an expiry, the Azure counterpart of the
 * S3 pre-signed URLs upstream hands to operators (operator-spec.md §12.2).
 *
 * The SDK clients are built here (only `src/azure` imports `@azure/*`) and passed in through the
 * constructor; `createAzureBlobStore` builds them from a storage connection string.
 */
import {
  BlobSASPermissions,
  BlobServiceClient,
  type ContainerClient,
  generateBlobSASQueryParameters,
  RestError,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';
import type { BlobStore } from '../storage/blob-store.ts';
import { assertBlobPath, assertBlobPrefix } from '../storage/blob-path.ts';

export interface AzureBlobStoreOptions {
  container: ContainerClient;
  /** Account key credential that signs SAS URLs. */
  credential: StorageSharedKeyCredential;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

// SAS validity starts a little in the past to tolerate clock skew between us and the service.
const SAS_START_SKEW_MS = 5 * 60 * 1000;

function isNotFound(err: unknown): boolean {
  return err instanceof RestError ? err.statusCode === 404 : (err as { statusCode?: number })?.statusCode === 404;
}

export class AzureBlobStore implements BlobStore {
  private readonly container: ContainerClient;
  private readonly credential: StorageSharedKeyCredential;
  private readonly now: () => number;

  constructor(options: AzureBlobStoreOptions) {
    this.container = options.container;
    this.credential = options.credential;
    this.now = options.now ?? Date.now;
  }

  async put(path: string, data: Buffer): Promise<void> {
    const blob = this.container.getBlockBlobClient(assertBlobPath(path));
    await blob.upload(data, data.length, { blobHTTPHeaders: { blobContentType: 'application/octet-stream' } });
  }

  async get(path: string): Promise<Buffer | undefined> {
    try {
      return await this.container.getBlobClient(assertBlobPath(path)).downloadToBuffer();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    for await (const item of this.container.listBlobsFlat({ prefix: assertBlobPrefix(prefix) })) out.push(item.name);
    return out.sort();
  }

  async delete(path: string): Promise<void> {
    await this.container.getBlobClient(assertBlobPath(path)).deleteIfExists();
  }

  async signedUrl(path: string, ttlSeconds: number): Promise<string> {
    const blob = this.container.getBlobClient(assertBlobPath(path));
    const now = this.now();
    const sas = generateBlobSASQueryParameters(
      {
        containerName: this.container.containerName,
        blobName: path,
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(now - SAS_START_SKEW_MS),
        expiresOn: new Date(now + Math.max(1, Math.floor(ttlSeconds)) * 1000),
      },
      this.credential,
    );
    return `${blob.url}?${sas.toString()}`;
  }
}

/** The fields of a storage connection string we need (`Key=Value;` pairs). */
export function parseStorageConnectionString(text: string): { accountName: string; accountKey: string; blobEndpoint: string } {
  const fields = new Map<string, string>();
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const accountName = fields.get('accountname');
  const accountKey = fields.get('accountkey');
  if (!accountName || !accountKey) throw new Error('storage connection string needs AccountName and AccountKey');
  const protocol = fields.get('defaultendpointsprotocol') ?? 'https';
  const suffix = fields.get('endpointsuffix') ?? 'core.windows.net';
  const blobEndpoint = (fields.get('blobendpoint') ?? `${protocol}://${accountName}.blob.${suffix}`).replace(/\/+$/, '');
  return { accountName, accountKey, blobEndpoint };
}

/** Builds an `AzureBlobStore` on `containerName`, creating the container when missing. */
export async function createAzureBlobStore(connectionString: string, containerName: string): Promise<AzureBlobStore> {
  const { accountName, accountKey, blobEndpoint } = parseStorageConnectionString(connectionString);
  const credential = new StorageSharedKeyCredential(accountName, accountKey);
  const service = new BlobServiceClient(blobEndpoint, credential);
  const container = service.getContainerClient(containerName);
  await container.createIfNotExists();
  return new AzureBlobStore({ container, credential });
}
