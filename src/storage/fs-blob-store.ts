/**
 * Local-filesystem `BlobStore` (the default backend), in one of two layouts under `root`:
 *
 *   layout 'nested' (default)      layout 'flat' (a data set directory, docs/architecture.md "Data sets")
 *     blobs/<path>  the blobs        <path>     the blobs, e.g. DIR/stores/salts/metadata.json, so the
 *     tmp/          temp uploads                operator's local mode reads what Core serves
 *                                    .uploads/  temp uploads; never listed, not a writable blob path
 *
 * `put` writes a temp file on the same filesystem, fsyncs it, renames it over the target and fsyncs
 * the directory, so a reader (or a crash) sees the old bytes or the new ones, never a mix (BlobStore
 * contract). Download links are HMAC-signed loopback URLs served by `blobDownloadRoutes`; a store
 * opened without `baseUrl`/`secret` (admin commands, data set writers) cannot sign links.
 */
import { mkdir, open, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { BlobStore } from './blob-store.ts';
import { assertBlobPath, assertBlobPrefix, BlobPathError } from './blob-path.ts';
import { UrlSigner, type UrlSignerOptions } from './signed-url.ts';

export type FsBlobLayout = 'nested' | 'flat';

export interface FsBlobStoreOptions extends Partial<UrlSignerOptions> {
  root: string;
  layout?: FsBlobLayout;
}

/** Temp directory of the flat layout: hidden, and excluded from listings and blob paths. */
const FLAT_TMP_DIR = '.uploads';

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
  /** Top-level name inside `blobRoot` that is not a blob (flat layout), if any. */
  private readonly hidden: string | undefined;
  private readonly signer: UrlSigner | undefined;

  constructor(options: FsBlobStoreOptions) {
    const flat = options.layout === 'flat';
    this.blobRoot = flat ? options.root : join(options.root, 'blobs');
    this.tmpRoot = flat ? join(options.root, FLAT_TMP_DIR) : join(options.root, 'tmp');
    this.hidden = flat ? FLAT_TMP_DIR : undefined;
    const { baseUrl, secret } = options;
    this.signer = baseUrl !== undefined && secret !== undefined ? new UrlSigner({ baseUrl, secret, now: options.now }) : undefined;
  }

  /** The file of a blob path; undefined for the flat layout's temp directory, which holds no blobs. */
  private file(path: string): string | undefined {
    const segments = assertBlobPath(path).split('/');
    return segments[0] === this.hidden ? undefined : join(this.blobRoot, ...segments);
  }

  async put(path: string, data: Buffer): Promise<void> {
    const target = this.file(path);
    if (target === undefined) throw new BlobPathError('blob path is reserved for temp uploads');
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
    const file = this.file(path);
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
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
    const segments = relDir === '' ? [] : relDir.split('/');
    if (segments[0] !== undefined && segments[0] === this.hidden) return;
    let entries;
    try {
      entries = await readdir(join(this.blobRoot, ...segments), { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const e of entries) {
      if (relDir === '' && e.name === this.hidden) continue;
      const rel = relDir === '' ? e.name : `${relDir}/${e.name}`;
      if (e.isDirectory()) await this.walk(rel, out);
      else if (e.isFile()) out.push(rel);
    }
  }

  async delete(path: string): Promise<void> {
    const file = this.file(path);
    if (file === undefined) return;
    try {
      await unlink(file);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async signedUrl(path: string, ttlSeconds: number): Promise<string> {
    if (!this.signer) throw new Error('this blob store was opened without URL signing');
    return this.signer.sign(assertBlobPath(path), ttlSeconds);
  }
}
