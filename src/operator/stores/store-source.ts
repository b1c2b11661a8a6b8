/**
 * Where store bytes come from (docs/architecture.md "Stores"). Local mode reads the upstream
 * local layout from a directory; attested mode (issue 4) fetches from Core.
 */
import { open, readFile } from 'node:fs/promises';
import { storeMemoryShared } from '../threads/job-thread.ts';
import type { CloudKeyMaterial } from '../../protocol/cloud-encrypted-file.ts';
import { isAbsolute, relative, resolve } from 'node:path';
import type { StoreMetadataPaths } from '../config/operator-config.ts';

export type StoreName =
  | 'salts'
  | 'clients'
  | 'keysets'
  | 'keyset_keys'
  | 'sites'
  | 'client_side_keypairs'
  | 'services'
  | 'service_links'
  | 'runtime_config'
  | 'cloud_encryption_keys'
  | 'optout';

export interface StoreSource {
  /** Metadata JSON of a store. */
  metadata(store: StoreName): Promise<unknown>;
  /** The bytes at a metadata `location`. */
  content(location: string, options?: ContentOptions): Promise<Buffer>;
  /**
   * A source whose files are encrypted (`encrypted_files`): the file at `location` as it is, for a
   * loader that decrypts and parses a large one in one job (salt-file-loader.ts).
   */
  sealedContent?(location: string): Promise<SealedContent>;
}

export interface ContentOptions {
  /**
   * The caller keeps the bytes and request threads read them in place (opt-out files): with
   * `storeMemoryShared` they are read straight into shared memory. Other files (JSON, salt files,
   * which become compact tables) are read into memory of their own, which a job thread can take
   * over and which is let go as soon as they are parsed.
   */
  readonly kept?: boolean;
}

/** An encrypted file and what decrypting it takes (cloud-encrypted-file.ts). */
export interface SealedContent {
  readonly file: Buffer;
  readonly keys: readonly CloudKeyMaterial[];
  /** The source's error for a file that does not decrypt (what its `content` throws). */
  failed(err: unknown): Error;
  /** Counts one decrypted file (metrics). */
  decrypted(): void;
}

/** A file read straight into shared memory (`storeMemoryShared`: request threads read it in place). */
async function readShared(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const bytes = Buffer.from(new SharedArrayBuffer(size));
    for (let at = 0; at < size; ) {
      const { bytesRead } = await file.read(bytes, at, size - at, at);
      if (bytesRead === 0) throw Object.assign(new Error('file shrank while read'), { code: 'ESHORTREAD' });
      at += bytesRead;
    }
    return bytes;
  } finally {
    await file.close();
  }
}

export class StoreSourceError extends Error {
  readonly code = 'ERR_STORE_SOURCE';

  constructor(message: string) {
    super(message);
    this.name = 'StoreSourceError';
  }
}

/**
 * Local mode (`uid2 operator --data DIR`): the config's `*_metadata_path` and every metadata
 * `location` (e.g. `/com.uid2.core/test/salts/salts.txt.1745907348982`) resolve against DIR,
 * so the upstream local layout loads unchanged. Paths may not escape DIR.
 */
export class LocalStoreSource implements StoreSource {
  private readonly root: string;

  constructor(dataDir: string, private readonly paths: StoreMetadataPaths) {
    this.root = resolve(dataDir);
  }

  /** True when the config names a metadata path for the store. */
  has(store: StoreName): boolean {
    return this.paths[store] !== undefined;
  }

  async metadata(store: StoreName): Promise<unknown> {
    const path = this.paths[store];
    // Names the flag: local mode's store paths come from the operator config (`--config FILE`).
    if (path === undefined) throw new StoreSourceError(`no ${store}_metadata_path configured (give the operator config with --config FILE)`);
    const bytes = await this.content(path);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new StoreSourceError(`${store} metadata ${path} is not valid JSON`);
    }
  }

  async content(location: string, options: ContentOptions = {}): Promise<Buffer> {
    const full = resolve(this.root, '.' + (location.startsWith('/') ? location : '/' + location));
    const rel = relative(this.root, full);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new StoreSourceError(`location ${location} is outside the data directory`);
    try {
      return options.kept === true && storeMemoryShared() ? await readShared(full) : await readFile(full);
    } catch (err) {
      throw new StoreSourceError(`cannot read ${location}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
}
