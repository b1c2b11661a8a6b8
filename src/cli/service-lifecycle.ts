/**
 * How the long-running commands (`uid2 core`, `optout`, `operator`, `sim ...`) start and stop: a
 * startup failure (bad config, unusable data set, port in use) is one line on stderr and exit 1,
 * never a stack trace; SIGTERM/SIGINT close the service once and exit.
 */

/** Runs `run`; if it throws, prints `<name>: <message>` and exits 1. */
export async function runOrExit(run: () => Promise<unknown>, name = 'uid2'): Promise<void> {
  try {
    await run();
  } catch (err) {
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

/** On the first SIGTERM or SIGINT, closes the service, then exits 0 (1 if closing failed). */
export function closeOnSignal(close: () => Promise<unknown>): void {
  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
