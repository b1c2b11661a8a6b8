/**
 * The operator-key store OptOut authenticates against, read through the same BlobStore as Core's
 * stores (the data directory, or Core's Azure container with `--storage azure`), so a key revoked
 * with `uid2 admin` reaches OptOut whichever backend holds it. Metadata
 * `{"version", "operators": {"location": "/stores/operators/operators.json"}}`, the location a
 * blob path (docs/architecture.md "Data sets"). Reloaded when the metadata version grows; a failed
 * reload keeps the last good index (operator-spec.md §12.4).
 */
import { KeyIndex, parseOperatorRecords, type OperatorRecord } from '../auth/index.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { blobPathOfLocation } from '../storage/blob-path.ts';

export class OperatorKeyStoreError extends Error {
  readonly code = 'ERR_OPERATOR_KEY_STORE';

  constructor(message: string) {
    super(message);
    this.name = 'OperatorKeyStoreError';
  }
}

async function readJson(blobs: BlobStore, location: string, what: string): Promise<unknown> {
  const path = blobPathOfLocation(location);
  if (path === undefined) throw new OperatorKeyStoreError(`${what} location escapes the store root`);
  const bytes = await blobs.get(path);
  if (bytes === undefined) throw new OperatorKeyStoreError(`${what} not found at ${path}`);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new OperatorKeyStoreError(`${what} at ${path} is not valid JSON`);
  }
}

export class OperatorKeyStore {
  private index = new KeyIndex<OperatorRecord>([]);
  private version: number | undefined;

  constructor(
    private readonly blobs: BlobStore,
    private readonly metadataPath: string,
  ) {}

  current(): KeyIndex<OperatorRecord> {
    return this.index;
  }

  get isLoaded(): boolean {
    return this.version !== undefined;
  }

  /** Loads the store if its version changed; returns true when a new index was installed. */
  async reload(): Promise<boolean> {
    const metadata = (await readJson(this.blobs, this.metadataPath, 'operators metadata')) as {
      version?: unknown;
      operators?: { location?: unknown };
    } | null;
    const version = typeof metadata?.version === 'number' ? metadata.version : 0;
    if (this.version !== undefined && version <= this.version) return false;
    const location = metadata?.operators?.location;
    if (typeof location !== 'string') throw new OperatorKeyStoreError('operators metadata has no operators.location');
    const records = parseOperatorRecords(await readJson(this.blobs, location, 'operators file'));
    this.index = new KeyIndex(records);
    this.version = version;
    return true;
  }
}
