/**
 * Commander argument parsers the commands share. A bad value throws `InvalidArgumentError`, which
 * commander reports as one usage line with exit code 1, never as a stack trace.
 */
import { InvalidArgumentError } from 'commander';

const DIGITS = /^[0-9]+$/;

/** A TCP port, 0 (any free port) to 65535; digits only, so `1e3` or `0x50` are refused. */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!DIGITS.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!DIGITS.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** For a repeatable option: each occurrence appends to the list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
