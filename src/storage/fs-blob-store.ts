/**
 * Local-filesystem `BlobStore` (the default backend). Layout under `root`:
 *   blobs/<path>   the blobs themselves
 *   tmp/           half-written uploads; same filesystem, so the final rename is atomic
 * `put` writes a temp file, fsyncs it, renames it over the target and fsyncs the directory, so a
 * reader (or a crash) sees the old bytes or the new ones, never a mix (BlobStore contract).
 * Download links are HMAC-signed loopback URLs served by `blobDownloadRoutes`.
 */
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, sep } from 'node:path';
import type { BlobStore } from './blob-store.ts';
import { assertBlobPath, assertBlobPrefix } from './blob-path.ts';
import { UrlSigner, type UrlSignerOptions } from './signed-url.ts';

export interface FsBlobStoreOptions extends UrlSignerOptions {
  root: string;
}

function isNotFound(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FsBlobStore implements BlobStore {
  private readonly blobRoot: string;
  private readonly tmpRoot: string;
  private readonly signer: UrlSigner;

  constructor(options: FsBlobStoreOptions) {
    this.blobRoot = join(options.root, 'blobs');
    this.tmpRoot = join(options.root, 'tmp');
    this.signer = new UrlSigner(options);
  }

  private file(path: string): string {
    return join(this.blobRoot, ...assertBlobPath(path).split('/'));
  }

  async put(path: string, data: Buffer): Promise<void> {
    const target = this.file(path);
    await mkdir(this.tmpRoot, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const tmp = join(this.tmpRoot, `${randomBytes(8).toString('hex')}.tmp`);
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      await handle.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await handle.close();
    try {
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await fsyncDirectory(dirname(target));
  }

  async get(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.file(path));
    } catch (err) {
      if (isNotFound(err) || (err as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    assertBlobPrefix(prefix);
    // Only walk the directory the prefix names; the rest of the tree cannot match.
    const slash = prefix.lastIndexOf('/');
    const start = slash < 0 ? '' : prefix.slice(0, slash);
    const out: string[] = [];
    await this.walk(start, out);
    return out.filter((p) => p.startsWith(prefix)).sort();
  }

  private async walk(relDir: string, out: string[]): Promise<void> {
    const abs = relDir === '' ? this.blobRoot : join(this.blobRoot, ...relDir.split('/'));
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const e of entries) {
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      if (e.isDirectory()) await this.walk(rel, out);
      else if (e.isFile()) out.push(rel.split(sep).join('/'));
    }
  }

  async delete(path: string): Promise<void> {
    try {
      await unlink(this.file(path));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async signedUrl(path: string, ttlSeconds: number): Promise<string> {
    return this.signer.sign(assertBlobPath(path), ttlSeconds);
  }
}
