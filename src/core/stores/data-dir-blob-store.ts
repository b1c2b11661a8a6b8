/**
 * The BlobStore over a data set directory itself: blob `stores/salts/metadata.json` is the file
 * `DIR/stores/salts/metadata.json`, the path the operator's local mode and the metadata
 * `location`s name (docs/architecture.md "Data sets"). `FsBlobStore` keeps its blobs under
 * `<root>/blobs/`, which would hide them from local mode, hence this flat variant. Uploads go
 * through a temp file in the same directory tree and a rename, so readers never see half a blob.
 * Download links use the storage module's signed loopback URLs (`blobDownloadRoutes`).
 */
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { BlobStore } from '../../storage/blob-store.ts';
import { assertBlobPath, assertBlobPrefix } from '../../storage/blob-path.ts';
import { UrlSigner, type UrlSignerOptions } from '../../storage/signed-url.ts';

/** Temp uploads live here; never listed, never a valid store path. */
const TMP_DIR = '.uploads';

export interface DataDirBlobStoreOptions extends Partial<UrlSignerOptions> {
  root: string;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

export class DataDirBlobStore implements BlobStore {
  private readonly signer: UrlSigner | undefined;

  constructor(private readonly options: DataDirBlobStoreOptions) {
    const { baseUrl, secret } = options;
    this.signer = baseUrl !== undefined && secret !== undefined ? new UrlSigner({ baseUrl, secret, now: options.now }) : undefined;
  }

  private file(path: string): string {
    return join(this.options.root, ...assertBlobPath(path).split('/'));
  }

  async put(path: string, data: Buffer): Promise<void> {
    const target = this.file(path);
    const tmpDir = join(this.options.root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const tmp = join(tmpDir, `${randomBytes(8).toString('hex')}.tmp`);
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async get(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.file(path));
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertBlobPrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const out: string[] = [];
    await this.walk(slash < 0 ? '' : prefix.slice(0, slash), out);
    return out.filter((p) => p.startsWith(prefix)).sort();
  }

  private async walk(rel: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(rel === '' ? this.options.root : join(this.options.root, ...rel.split('/')), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    for (const e of entries) {
      if (rel === '' && e.name === TMP_DIR) continue;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await this.walk(child, out);
      else if (e.isFile()) out.push(child);
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await unlink(this.file(path));
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  async signedUrl(path: string, ttlSeconds: number): Promise<string> {
    if (!this.signer) throw new Error('this blob store was opened without URL signing');
    return this.signer.sign(assertBlobPath(path), ttlSeconds);
  }
}
