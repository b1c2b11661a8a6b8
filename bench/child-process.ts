/**
 * Starts a benchmark server as a child process and waits for the line it prints when listening:
 * a TypeScript file run through the project's loader (`startChild`, e.g. the bare server), or
 * any command (`startCommand`, e.g. `node bin/uid2.mjs operator`, the compiled operator as
 * production runs it). Children are killed when the benchmark exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const TS_LOADER = fileURLToPath(new URL('../scripts/ts-loader.mjs', import.meta.url));

export interface BenchChild {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly info: Record<string, number>;
  /** Milliseconds from spawn to the ready line. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

export interface CommandSpec {
  readonly command: string;
  readonly args: readonly string[];
  /** The ready line's information, or undefined for any other line (passed through to stderr). */
  readonly ready: (line: string) => Record<string, number> | undefined;
  /** Which other lines to pass through to stderr (default: all). */
  readonly show?: (line: string) => boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export function startCommand(spec: CommandSpec): Promise<BenchChild> {
  const started = performance.now();
  const name = spec.args.find((a) => !a.startsWith('-')) ?? spec.command;
  const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'inherit'], env: spec.env ?? process.env });
  children.add(child);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(kill);
        children.delete(child);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise((resolve, reject) => {
    const timeoutMs = spec.timeoutMs ?? 120_000;
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    });
    const lines = createInterface({ input: child.stdout! });
    const passThrough = (line: string) => {
      if (spec.show?.(line) ?? true) process.stderr.write(`${line}\n`);
    };
    const onLine = (line: string) => {
      const info = spec.ready(line);
      if (info === undefined) return passThrough(line);
      clearTimeout(timer);
      child.removeAllListeners('exit');
      lines.off('line', onLine);
      lines.on('line', passThrough);
      resolve({ process: child, pid: child.pid!, info, readyMs: performance.now() - started, stop });
    };
    lines.on('line', onLine);
  });
}

/** A TypeScript server script whose ready line is its first JSON object (other output, e.g. --trace-gc, passes through). */
export function startChild(script: string, args: string[] = [], nodeFlags: string[] = []): Promise<BenchChild> {
  return startCommand({
    command: process.execPath,
    args: [...nodeFlags, '--import', TS_LOADER, script, ...args],
    ready: (line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, number>) : undefined),
  });
}
