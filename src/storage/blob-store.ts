/**
 * One interface for blob storage, with a local-filesystem backend (`fs-blob-store.ts`, the
 * default) and Azure Blob Storage (`src/azure/azure-blob-store.ts`). Both pass the contract suite
 * in `test/storage/blob-store.contract.ts`.
 *
 * Paths are `/`-separated, relative, without `..` segments (e.g. `stores/salts/salts.txt.1700000000000`).
 */
export interface BlobStore {
  /** Writes the whole blob atomically: a reader sees the old bytes or the new ones, never a mix. */
  put(path: string, data: Buffer): Promise<void>;
  /** The blob's bytes, or undefined when there is none. */
  get(path: string): Promise<Buffer | undefined>;
  /** Paths of all blobs whose path starts with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /** Removes the blob; removing a missing blob is not an error. */
  delete(path: string): Promise<void>;
  /** A time-limited URL from which the blob can be downloaded with a plain GET and no other credential. */
  signedUrl(path: string, ttlSeconds: number): Promise<string>;
}
