/**
 * In-memory `BlobStore` for unit tests. Signed URLs use the same loopback scheme as the
 * filesystem backend, so `blobDownloadRoutes` serves them and the contract suite can download.
 */
import type { BlobStore } from './blob-store.ts';
import { assertBlobPath, assertBlobPrefix } from './blob-path.ts';
import { UrlSigner, type UrlSignerOptions } from './signed-url.ts';

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly signer: UrlSigner;

  constructor(options: UrlSignerOptions) {
    this.signer = new UrlSigner(options);
  }

  async put(path: string, data: Buffer): Promise<void> {
    // Copy so later mutation of the caller's buffer cannot change the stored blob.
    this.blobs.set(assertBlobPath(path), Buffer.from(data));
  }

  async get(path: string): Promise<Buffer | undefined> {
    const data = this.blobs.get(assertBlobPath(path));
    return data && Buffer.from(data);
  }

  async list(prefix: string): Promise<string[]> {
    assertBlobPrefix(prefix);
    return [...this.blobs.keys()].filter((p) => p.startsWith(prefix)).sort();
  }

  async delete(path: string): Promise<void> {
    this.blobs.delete(assertBlobPath(path));
  }

  async signedUrl(path: string, ttlSeconds: number): Promise<string> {
    return this.signer.sign(assertBlobPath(path), ttlSeconds);
  }
}
