/**
 * The series of a metric by label values, looked up once per distinct combination and then kept
 * (issue 6, hot path): the cached value is a buffered series (buffered-metric.ts) or a bundle of
 * them, whose update is a plain add. Series stay valid across a registry reset. The cache grows
 * exactly like the metric's own series, so label values must already be bounded (route patterns,
 * status codes, site ids).
 */
type Level<Child> = Map<string, Level<Child> | Child>;

export class BoundLabels<Child> {
  /**
   * One map per label position. A joined string key would be built and hashed on every call
   * (a fresh cons string each time); walking maps hashes only the short label values.
   */
  private readonly root: Level<Child> = new Map();
  private arity = -1;

  constructor(private readonly bind: (values: readonly string[]) => Child) {}

  /** The child for these label values (in the order `bind` expects; always the same count). */
  get(...values: string[]): Child {
    if (values.length !== this.arity) this.checkArity(values.length);
    let level = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = level.get(values[i]!) as Level<Child> | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(values[i]!, next);
      }
      level = next;
    }
    let child = level.get(values[last]!) as Child | undefined;
    if (child === undefined) {
      child = this.bind(values);
      level.set(values[last]!, child);
    }
    return child;
  }

  private checkArity(count: number): void {
    if (count === 0 || (this.arity !== -1 && count !== this.arity)) throw new Error(`expected ${this.arity} label values, got ${count}`);
    this.arity = count;
  }
}
