/**
 * Versions of store metadata. Readers reload only when `version` increases (spec operator-spec.md
 * §12.2), so every write must pick a larger one. Epoch milliseconds keep versions meaningful to a
 * human while `previous + 1` keeps them increasing under a clock that steps back.
 */
export function nextVersion(previous: number | undefined, nowMs: number): number {
  return Math.max((previous ?? 0) + 1, Math.floor(nowMs));
}

/** The `version` of a parsed metadata document, if it has a usable one. */
export function versionOf(metadata: unknown): number | undefined {
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const v = (metadata as { version?: unknown }).version;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
