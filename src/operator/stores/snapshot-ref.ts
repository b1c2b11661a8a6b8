/**
 * Holds the current immutable snapshot of a store. `swap` is a single assignment, so a request
 * that reads `current()` once at its start never mixes old and new data (style.md §5 "Stores").
 */
export class SnapshotRef<T> {
  private value: T | undefined;

  /**
   * `onSwap` runs after every swap (the operator's store view drops its cached copy); `prepare`
   * turns what is swapped in into what is kept (the operator's stores, with request threads,
   * keep large arrays in shared memory).
   */
  constructor(
    initial?: T,
    private readonly onSwap?: () => void,
    private readonly prepare?: (next: T) => T,
  ) {
    this.value = initial;
  }

  /** True once a first snapshot has been loaded. */
  get isLoaded(): boolean {
    return this.value !== undefined;
  }

  /** The snapshot in force. Throws before the first load: routes run only after startup loaded every store. */
  current(): T {
    if (this.value === undefined) throw new Error('store not loaded');
    return this.value;
  }

  /** The snapshot in force, or undefined before the first load. */
  peek(): T | undefined {
    return this.value;
  }

  swap(next: T): void {
    this.value = this.prepare ? this.prepare(next) : next;
    this.onSwap?.();
  }
}
