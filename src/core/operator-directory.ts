/**
 * The operator keys Core accepts, read from the `operators` store through the BlobStore. A
 * reload builds a new KeyIndex (dropping cached misses, as upstream does on every reload) and
 * swaps it in one assignment; requests read `current` once.
 */
import type { BlobStore } from '../storage/blob-store.ts';
import { KeyIndex, parseOperatorRecords, type OperatorRecord } from '../auth/index.ts';
import { readJsonStore } from './stores/store-reader.ts';

export class OperatorDirectory {
  private index = new KeyIndex<OperatorRecord>([]);
  private version: number | undefined;

  constructor(private readonly blobs: BlobStore) {}

  get current(): KeyIndex<OperatorRecord> {
    return this.index;
  }

  /** Re-reads the store; returns true when a new version was loaded. */
  async refresh(): Promise<boolean> {
    const snapshot = await readJsonStore(this.blobs, 'operators');
    if (snapshot.version !== undefined && snapshot.version === this.version) return false;
    this.index = new KeyIndex(parseOperatorRecords(snapshot.records));
    this.version = snapshot.version;
    return true;
  }
}
