/**
 * A request thread's stores (issue 16): the operator process's snapshots, one generation at a
 * time. A `stores` message carries the snapshots that change in the next generation; the thread
 * builds them at once (stores/shared-snapshots.ts: large arrays are the process's shared memory)
 * and keeps them aside. The process switches the generation word once every thread has them; a
 * thread swaps them in at its next `view()`, before any request reads a store. So every thread
 * answers from the new version from one moment on, and no request ever mixes two.
 */
import { createOperatorStores, type OperatorStores, type StoreView } from '../stores/operator-stores.ts';
import { importSnapshot, type ViewField } from '../stores/shared-snapshots.ts';
import type { SnapshotRef } from '../stores/snapshot-ref.ts';
import { LazyOptOutIndex } from '../stores/lazy-optout-index.ts';
import type { OptOutTable } from '../stores/optout-index.ts';
import { GENERATION_WORD, type StoreSet } from './thread-protocol.ts';

export class ThreadStores {
  /** What the thread's routes read (`view()` takes a new generation first). */
  readonly stores: OperatorStores;
  private readonly base: OperatorStores;
  private generation: number;
  /** Prepared generations not yet in force, in order (the process may switch several between two requests). */
  private readonly pending = new Map<number, Partial<StoreView>>();

  constructor(
    private readonly control: Int32Array,
    generation: number,
    initial: StoreSet,
    /** The process's shared advertising-id table of an opt-out version. */
    private readonly advertising: (version: number) => Promise<OptOutTable>,
  ) {
    this.base = createOperatorStores();
    this.generation = generation;
    this.install(this.build(initial));
    this.stores = { ...this.base, view: () => this.view() };
  }

  /** Builds the snapshots of generation `generation`, kept until the process switches to it. */
  prepare(generation: number, set: StoreSet): void {
    this.pending.set(generation, this.build(set));
  }

  private build(set: StoreSet): Partial<StoreView> {
    const out: Record<string, unknown> = {};
    for (const [field, shared] of Object.entries(set) as [ViewField, NonNullable<StoreSet[ViewField]>][]) {
      out[field] = importSnapshot(field, shared, (files, version) => new LazyOptOutIndex(files, 'advertising', () => this.advertising(version)));
    }
    return out as Partial<StoreView>;
  }

  private install(snapshots: Partial<StoreView>): void {
    for (const [field, snapshot] of Object.entries(snapshots)) (this.base[field as ViewField] as SnapshotRef<unknown>).swap(snapshot);
  }

  private view(): StoreView {
    const current = Atomics.load(this.control, GENERATION_WORD);
    // Every generation up to the one in force, in order: each was prepared before it was switched to.
    while (this.generation < current) {
      const next = this.pending.get(this.generation + 1);
      if (next === undefined) break;
      this.install(next);
      this.pending.delete(++this.generation);
    }
    return this.base.view();
  }
}
