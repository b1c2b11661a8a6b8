/**
 * The operator-key store OptOut authenticates against: `DIR/<operators_metadata_path>` =
 * `{"version", "operators": {"location": "/stores/operators/operators.json"}}`, the location
 * resolved against DIR (docs/architecture.md "Data sets"). Reloaded when the metadata version
 * grows; a failed reload keeps the last good index (operator-spec.md §12.4).
 */
import { readFile } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { KeyIndex, parseOperatorRecords, type OperatorRecord } from '../auth/index.ts';

export class OperatorKeyStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OperatorKeyStoreError';
  }
}

function insideDataDir(dataDir: string, location: string): string {
  const root = resolve(dataDir);
  const path = resolve(root, `.${location.startsWith('/') ? '' : '/'}${location}`);
  if (path !== root && !path.startsWith(root + sep)) throw new OperatorKeyStoreError('store location escapes the data directory');
  return path;
}

export class OperatorKeyStore {
  private index = new KeyIndex<OperatorRecord>([]);
  private version: number | undefined;

  constructor(
    private readonly dataDir: string,
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
    const metadata = JSON.parse(await readFile(insideDataDir(this.dataDir, this.metadataPath), 'utf8')) as {
      version?: unknown;
      operators?: { location?: unknown };
    };
    const version = typeof metadata.version === 'number' ? metadata.version : 0;
    if (this.version !== undefined && version <= this.version) return false;
    const location = metadata.operators?.location;
    if (typeof location !== 'string') throw new OperatorKeyStoreError('operators metadata has no operators.location');
    const records = parseOperatorRecords(JSON.parse(await readFile(insideDataDir(this.dataDir, location), 'utf8')));
    this.index = new KeyIndex(records);
    this.version = version;
    return true;
  }
}
