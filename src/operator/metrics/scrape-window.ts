/**
 * The time window of a Micrometer distribution, rebuilt at scrape time (no timer, nothing on the
 * request path). Micrometer's percentiles and `_max` cover roughly the last two minutes
 * (`DistributionStatisticConfig` expiry 2 min); here a series' window is what happened since the
 * snapshot taken one step before the latest rotation, so it spans between one and two steps when
 * Prometheus scrapes at least once a step.
 */
export const WINDOW_STEP_MS = 60_000;

/** What a windowed view reads from one series: cumulative counts and the max since its last take. */
export interface WindowSource {
  /** Non-cumulative counts per bucket; the last one holds values above the last bound. */
  readonly counts: Float64Array;
  readonly windowMax: number;
  takeWindowMax(): number;
}

interface SeriesWindow {
  /** Counts at the latest rotation, and at the one before (the window's base). */
  previous: Float64Array | undefined;
  older: Float64Array | undefined;
  /** Max of the step between the two rotations. */
  stepMax: number;
}

export class ScrapeWindow<S extends WindowSource> {
  private readonly windows = new WeakMap<S, SeriesWindow>();
  private lastRotationMs: number | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Starts a scrape: rotates every series once a step has passed since the last rotation. */
  begin(series: readonly S[]): void {
    const now = this.now();
    if (this.lastRotationMs !== undefined && now - this.lastRotationMs < WINDOW_STEP_MS) return;
    this.lastRotationMs = now;
    for (const s of series) {
      const w = this.windowOf(s);
      w.older = w.previous;
      w.previous = Float64Array.from(s.counts);
      w.stepMax = s.takeWindowMax();
    }
  }

  /** Counts observed in the window, per bucket. */
  counts(s: S): Float64Array {
    const base = this.windowOf(s).older;
    if (base === undefined) return s.counts;
    return s.counts.map((c, i) => c - base[i]!);
  }

  /** Highest value observed in the window (0 when none). */
  max(s: S): number {
    return Math.max(this.windowOf(s).stepMax, s.windowMax);
  }

  private windowOf(s: S): SeriesWindow {
    let w = this.windows.get(s);
    if (w === undefined) {
      w = { previous: undefined, older: undefined, stepMax: 0 };
      this.windows.set(s, w);
    }
    return w;
  }
}

/**
 * The q-quantile of bucketed counts, interpolated linearly inside the bucket that holds it (as
 * Prometheus' `histogram_quantile` does); values above the last bound report `max`. 0 when empty,
 * as Micrometer reports an empty window.
 */
export function quantileOf(counts: Float64Array, bounds: Float64Array, q: number, max: number): number {
  let total = 0;
  for (const c of counts) total += c;
  if (total === 0) return 0;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (below + c >= rank && c > 0) {
      if (i === bounds.length) return max;
      const lower = i === 0 ? 0 : bounds[i - 1]!;
      const upper = bounds[i]!;
      return Math.min(lower + ((upper - lower) * (rank - below)) / c, max > 0 ? Math.max(max, lower) : upper);
    }
    below += c;
  }
  return max;
}
