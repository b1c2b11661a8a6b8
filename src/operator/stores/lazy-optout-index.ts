/**
 * An opt-out index built when first needed. Only /v2/optout/status reads advertising ids, so
 * startup and opt-out reloads index identity hashes alone. The status route awaits `ready()`
 * first: over large files held in shared memory (the opt-out sync's), the index is then built on
 * a job thread while requests go on (optout-build-thread.ts); otherwise it is built here, and a
 * lookup before `ready()` builds it here too. A request thread's index has a table source instead:
 * its process builds the table once, in shared memory, and every thread reads it (issue 16).
 */
import { OFF_THREAD_MIN_BYTES, isShared } from '../threads/job-thread.ts';
import { buildOptOutIndexOffThread } from './optout-build-thread.ts';
import { OptOutIndex, type OptOutKeyKind, type OptOutLookup, type OptOutTable } from './optout-index.ts';

/** Where a ready index's table can come from instead of being built here (a request thread: its process). */
export type OptOutTableSource = () => Promise<OptOutTable>;

export class LazyOptOutIndex implements OptOutLookup {
  private index: OptOutIndex | undefined;
  private building: Promise<void> | undefined;

  constructor(
    private readonly files: readonly Buffer[],
    private readonly kind: OptOutKeyKind,
    private readonly tableSource?: OptOutTableSource,
  ) {}

  private built(): OptOutIndex {
    this.index ??= new OptOutIndex(this.files, this.kind);
    return this.index;
  }

  get isReady(): boolean {
    return this.index !== undefined;
  }

  ready(): Promise<void> {
    this.building ??= this.build();
    return this.building;
  }

  private async build(): Promise<void> {
    if (this.index !== undefined) return;
    if (this.tableSource !== undefined) {
      try {
        const table = await this.tableSource();
        this.index ??= new OptOutIndex(this.files, this.kind, table);
        return;
      } catch {
        // The source cannot give it (a version replaced meanwhile): build here below.
      }
    }
    const bytes = this.files.reduce((n, f) => n + f.length, 0);
    if (bytes >= OFF_THREAD_MIN_BYTES && this.files.every(isShared)) {
      try {
        const done = await buildOptOutIndexOffThread(this.files, this.kind, 'share');
        this.index ??= done?.index;
      } catch {
        // The thread failed: build here below.
      }
    }
    this.built();
  }

  /**
   * The built table in shared memory, for request threads to read (issue 16): built first when
   * needed; this index then reads the shared copy too, so the process holds the table once.
   */
  async sharedTable(): Promise<OptOutTable> {
    await this.ready();
    const parts = this.built().tableParts();
    if (parts.table.buffer instanceof SharedArrayBuffer) return parts;
    const table = new Uint32Array(new SharedArrayBuffer(parts.table.byteLength));
    table.set(parts.table);
    this.index = new OptOutIndex(this.files, this.kind, { table, size: parts.size });
    return { table, size: parts.size };
  }

  get size(): number {
    return this.built().size;
  }

  get(base64Key: string): number | undefined {
    return this.built().get(base64Key);
  }

  getBytes(key: Uint8Array): number | undefined {
    return this.built().getBytes(key);
  }

  getBase64Bytes(text: Uint8Array, start: number): number | undefined {
    return this.built().getBase64Bytes(text, start);
  }

  getBase64Batch(text: Uint8Array, count: number, out: Float64Array): void {
    this.built().getBase64Batch(text, count, out);
  }

  has(base64Key: string): boolean {
    return this.built().has(base64Key);
  }
}
