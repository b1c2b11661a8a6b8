/**
 * Starts a benchmark server (a TypeScript file run through tsx: scripts/ts-loader.mjs) as a child
 * process and waits for the one JSON line it prints when listening. Children are killed when the
 * benchmark exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
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

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export function startChild(script: string, args: string[] = [], nodeFlags: string[] = [], timeoutMs = 120_000): Promise<BenchChild> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, '--import', TS_LOADER, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
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
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${script} did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with code ${code} before it was ready`));
    });
    const lines = createInterface({ input: child.stdout! });
    // The ready line is the first JSON object; other output (e.g. --trace-gc) is passed through.
    const onLine = (line: string) => {
      if (!line.startsWith('{')) return void process.stderr.write(`${line}\n`);
      clearTimeout(timer);
      child.removeAllListeners('exit');
      lines.off('line', onLine);
      lines.on('line', (l) => process.stderr.write(`${l}\n`));
      resolve({ process: child, pid: child.pid!, info: JSON.parse(line), readyMs: performance.now() - started, stop });
    };
    lines.on('line', onLine);
  });
}

/** Resident set size of a process in MB (Linux /proc; 0 where unavailable). */
export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc; 0 where unavailable). */
export function cpuSeconds(pid: number): number {
  try {
    // Fields after the ")" of the command name: state is field 3, utime 14, stime 15 (clock ticks, 100/s).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}
