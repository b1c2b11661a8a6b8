/**
 * V8's young generation (the nursery where a request's garbage is born and dies) for each
 * request thread, from one budget for the whole process. A thread started with `resourceLimits`
 * ignores the process's `--max-semi-space-size`, so this is the only setting that applies.
 *
 * Left to itself V8 grows each thread's nursery under load to tens of MB, which at 4 threads
 * took the operator over its memory target on production data. A small nursery costs CPU (more
 * scavenges): one thread at 8 MB served 12,200 and 13,600 generate requests per CPU-second against
 * 15,800 and 16,600 at 32 MB in one interleaved A/B (issue 16). A large one lengthens the
 * scavenges that run while a salt swap builds its new views: at 2 threads, generate p99 during a
 * swap was 1.03-1.48x steady with 8 MB per thread (three runs) and 1.11-1.54x with 16 MB (five
 * runs; one full bench run gave 3.2x), against a 1.5x target. Hence 16 MB for the process: 16 MB
 * for one thread, 8 MB each from two threads up, so memory does not grow with the thread count.
 */
/** The whole process's nursery budget, shared by its request threads. */
export const YOUNG_GENERATION_BUDGET_MB = 16;
/** No thread gets less (below it the scavenges' fixed costs dominate). */
export const YOUNG_GENERATION_MIN_MB = 8;

/** The young generation, in MB, of each of `threads` request threads. */
export function youngGenerationMb(threads: number): number {
  return Math.max(YOUNG_GENERATION_MIN_MB, Math.floor(YOUNG_GENERATION_BUDGET_MB / Math.max(1, threads)));
}
