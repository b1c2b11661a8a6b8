/**
 * Wraps a CLI action: the result is printed as JSON on stdout; any failure becomes one line on
 * stderr and exit code 1 (2 for usage errors), never a stack trace. Messages carry the HTTP and
 * upstream status of SDK errors but never keys or tokens.
 */
import { Uid2ClientError } from '../../client/client-error.ts';

/** A mistake in how the command was called (missing option, bad value). */
export class CliUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliUsageError';
  }
}

function describe(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliUsageError) return { message: err.message, exitCode: 2 };
  if (err instanceof Uid2ClientError) {
    return {
      message: JSON.stringify({ error: 'operator_error', http_status: err.httpStatus, status: err.status, message: err.upstreamMessage }),
      exitCode: 1,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message, exitCode: 1 };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function jsonAction<A extends any[]>(run: (...args: A) => Promise<unknown> | unknown): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      printJson(await run(...args));
    } catch (err) {
      const { message, exitCode } = describe(err);
      process.stderr.write(`uid2: ${message}\n`);
      process.exitCode = exitCode;
    }
  };
}
