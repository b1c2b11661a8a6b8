/**
 * V8's young generation (the nursery where a request's garbage is born and dies) for each
 * request thread, from one budget for the whole process. A thread started with `resourceLimits`
 * ignores the process's `--max-semi-space-size`, so this is the only setting that applies.
 *
 * Left to itself V8 grows each thread's nursery under load to tens of MB, which at 4 threads
 * took the operator over its memory target on production data. Held to 8 MB, one thread scavenges
 * often enough to cost generate CPU (issue 16, the bench's generate row at one thread: 12,200 and
 * 13,600 requests per CPU-second at 8 MB against 15,800 and 16,600 at 32 MB in one interleaved
 * A/B; 18,800 in the last full bench at 8 MB, 19,800-20,300 in two at 32 MB). Shared out of a
 * budget, one thread gets a large nursery and many threads get small ones, so the process's
 * memory does not grow with its thread count.
 */
/** The whole process's nursery budget, shared by its request threads. */
export const YOUNG_GENERATION_BUDGET_MB = 32;
/** No thread gets less (below it the scavenges' fixed costs dominate). */
export const YOUNG_GENERATION_MIN_MB = 8;

/** The young generation, in MB, of each of `threads` request threads. */
export function youngGenerationMb(threads: number): number {
  return Math.max(YOUNG_GENERATION_MIN_MB, Math.floor(YOUNG_GENERATION_BUDGET_MB / Math.max(1, threads)));
}
