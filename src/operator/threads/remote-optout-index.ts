/**
 * A request thread's advertising-id index (issue 16): the operator process builds it once per
 * opt-out version (on a job thread, in shared memory) when a thread first needs it, and every
 * thread then reads that one table. When the process cannot give it (the version was replaced
 * meanwhile), or a lookup comes before `ready()`, the thread builds its own, as `LazyOptOutIndex`.
 */
import { OptOutIndex, type OptOutLookup, type OptOutTable } from '../stores/optout-index.ts';

export type AdvertisingTableSource = (version: number) => Promise<OptOutTable>;

export class RemoteOptOutIndex implements OptOutLookup {
  private index: OptOutIndex | undefined;
  private building: Promise<void> | undefined;

  constructor(
    private readonly files: readonly Buffer[],
    private readonly version: number,
    private readonly source: AdvertisingTableSource,
  ) {}

  private built(): OptOutIndex {
    this.index ??= new OptOutIndex(this.files, 'advertising');
    return this.index;
  }

  get isReady(): boolean {
    return this.index !== undefined;
  }

  ready(): Promise<void> {
    this.building ??= this.source(this.version).then(
      (table) => void (this.index ??= new OptOutIndex(this.files, 'advertising', table)),
      () => void this.built(),
    );
    return this.building;
  }

  get size(): number {
    return this.built().size;
  }

  get(base64Key: string): number | undefined {
    return this.built().get(base64Key);
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
