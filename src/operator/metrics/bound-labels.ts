/**
 * Pre-bound prom-client children, one per distinct label combination (issue 6, hot path).
 * `metric.inc({...})` hashes and sorts the label object on every call; `metric.labels({...})`
 * does it once and returns a child that only adds. Children stay valid across `reset()`: they
 * hold the label hash, not the value slot. The cache grows exactly like the metric's own series,
 * so label values must already be bounded (route patterns, status codes, site ids).
 */
export class BoundLabels<Child> {
  private readonly children = new Map<string, Child>();

  constructor(private readonly bind: (values: readonly string[]) => Child) {}

  /** The child for these label values (in the order `bind` expects). */
  get(...values: string[]): Child {
    const key = values.join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.bind(values);
      this.children.set(key, child);
    }
    return child;
  }
}
