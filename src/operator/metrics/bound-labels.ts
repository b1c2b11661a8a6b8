/**
 * The series of a metric by label values, looked up once per distinct combination and then kept
 * (issue 6, hot path): the cached value is a buffered series (buffered-metric.ts) or a bundle of
 * them, whose update is a plain add. Series stay valid across a registry reset. The cache grows
 * exactly like the metric's own series, so label values must already be bounded (route patterns,
 * status codes, site ids).
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
