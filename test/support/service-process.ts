/**
 * Runs a `uid2` service (`node bin/uid2.mjs <args>`) as a child process and reads the URL it
 * prints. `kill()` defaults to SIGKILL; a test must always call it, it is a no-op once the child
 * has exited. The child's pid is the server's own (for /proc/<pid>/status).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './shared.ts';

export interface ServiceProcess {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the child printed so far (for failure messages). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `uid2 core` prints `core listening on URL`; `uid2 optout` logs `"url":"URL"` (at LOG_LEVEL info). */
export const LISTENING = {
  core: /core listening on (http:\/\/\S+)/,
  operator: /operator listening on (http:\/\/[^\s,]+)/,
  optout: /"url":"(http:\/\/[^"]+)"/,
} as const;

export async function spawnService(args: readonly string[], listening: RegExp, env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'uid2.mjs'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out}`)), timeoutMs);
      const check = () => {
        const m = listening.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${args[0]} exited with ${code}: ${out}`));
      });
    });
    return { url, pid: child.pid!, child, output: () => out, kill };
  } catch (err) {
    await kill();
    throw err;
  }
}

/**
 * Sends only the head of a POST declaring `contentLength` bytes and resolves with the answer the
 * server gives before any body byte (e.g. 413, 401); the request is then abandoned.
 */
export async function answerBeforeBody(url: string, contentLength: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(contentLength), ...headers } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
