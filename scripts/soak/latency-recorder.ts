/** Request latencies (ms) and error counts of a soak phase; percentiles by sorting once. */
export class LatencyRecorder {
  private readonly samples: number[] = [];
  requests = 0;
  errors = 0;
  readonly errorKinds = new Map<string, number>();

  record(ms: number, error?: string): void {
    this.requests++;
    this.samples.push(ms);
    if (error !== undefined) {
      this.errors++;
      this.errorKinds.set(error, (this.errorKinds.get(error) ?? 0) + 1);
    }
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    const sorted = Float64Array.from(this.samples).sort();
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  }
}
