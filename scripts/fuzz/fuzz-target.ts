/**
 * What a fuzz target is and what counts as a failure (issue 7): every input must end in a
 * normal result, a *typed* error the caller handles (ProtocolError, a store or attestation format
 * error) or, over HTTP, a status below 500 with a clean body. Anything else — another exception
 * class, a 5xx, a leaked stack trace or path, a hang — is a failure.
 */
import type { Prng } from './prng.ts';

/** `undefined` = the input was handled correctly; a string describes the failure. */
export type Verdict = string | undefined;

export interface FuzzTarget {
  readonly name: string;
  /** Share of the inputs this target receives. */
  readonly weight: number;
  run(prng: Prng): Verdict | Promise<Verdict>;
}

/** Error classes a target accepts, by constructor. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** Calls `fn`; an exception is fine only when it is an instance of one of `allowed`. */
export function expectTyped(fn: () => unknown, allowed: readonly ErrorClass[]): Verdict {
  try {
    fn();
    return undefined;
  } catch (err) {
    return describeUnexpected(err, allowed);
  }
}

export async function expectTypedAsync(fn: () => Promise<unknown>, allowed: readonly ErrorClass[]): Promise<Verdict> {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return describeUnexpected(err, allowed);
  }
}

function describeUnexpected(err: unknown, allowed: readonly ErrorClass[]): Verdict {
  if (allowed.some((cls) => err instanceof cls)) return undefined;
  const e = err as Error;
  const where = (e?.stack ?? '').split('\n').slice(1, 3).map((l) => l.trim()).join(' < ');
  return `untyped ${e?.name ?? typeof err}: ${String(e?.message ?? err).slice(0, 160)} ${where}`;
}

/** Stack frames, source paths or internal file names in something sent to a caller. */
const LEAK_PATTERNS = [/\bat [\w.<>]+ \(/, /\.ts:\d+/, /\.js:\d+/, /node_modules/, /\/work\//, /file:\/\//, /\bstack\b.*:/i];

export function findLeak(text: string): string | undefined {
  for (const p of LEAK_PATTERNS) if (p.test(text)) return `response leaks internals (${p})`;
  return undefined;
}
