/**
 * One service of the local stack as a child process running `uid2 <args>`: its output goes to a
 * log file (never to the stack's stdout, which carries only the JSON line), it is healthy when
 * `GET <url>/ops/healthcheck` answers 200, and it stops with SIGTERM, then SIGKILL after a grace
 * period. `kill()` and `restart()` exist for outage tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const UID2_BIN = fileURLToPath(new URL('../../../bin/uid2.mjs', import.meta.url));
const STOP_GRACE_MS = 5000;
const TAIL_LINES = 20;

export interface ChildServiceSpec {
  readonly name: string;
  /** Arguments after `uid2`. */
  readonly args: readonly string[];
  /** Base URL the service answers on (health probe). */
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
}

export class ChildServiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChildServiceError';
  }
}

export class ChildService {
  private child: ChildProcess | undefined;
  private log: WriteStream | undefined;
  private exited: Promise<void> = Promise.resolve();
  private tail: string[] = [];

  constructor(readonly spec: ChildServiceSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get url(): string {
    return this.spec.url;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Exit code once the process ended on its own or was stopped, else undefined. */
  get exitCode(): number | null | undefined {
    if (!this.child) return undefined;
    return this.child.exitCode ?? (this.child.signalCode ? null : undefined);
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the current process has exited. */
  waitForExit(): Promise<void> {
    return this.exited;
  }

  start(): void {
    if (this.isRunning()) return;
    this.log ??= createWriteStream(this.spec.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [UID2_BIN, ...this.spec.args], {
      env: { ...process.env, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      this.log?.write(chunk);
      this.tail.push(...chunk.toString('utf8').split('\n').filter((l) => l.length > 0));
      if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  /** The last lines of output, for error messages. */
  recentOutput(): string {
    return this.tail.join('\n');
  }

  /** Polls the health check until 200; fails early when the process exits. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.isRunning()) {
        throw new ChildServiceError(`${this.name} exited (code ${this.child?.exitCode}) before becoming healthy:\n${this.recentOutput()}`);
      }
      try {
        const response = await fetch(`${this.url}/ops/healthcheck`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new ChildServiceError(`${this.name} not healthy after ${timeoutMs} ms:\n${this.recentOutput()}`);
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stop(): Promise<void> {
    if (!this.isRunning()) return;
    const child = this.child!;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL at once (crash tests). */
  async kill(): Promise<void> {
    if (!this.isRunning()) return;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  async restart(timeoutMs: number): Promise<void> {
    await this.stop();
    this.start();
    await this.waitHealthy(timeoutMs);
  }

  /** Stops the process and closes the log file. */
  async close(): Promise<void> {
    await this.stop();
    const log = this.log;
    this.log = undefined;
    if (log) await new Promise<void>((r) => log.end(() => r()));
  }
}
