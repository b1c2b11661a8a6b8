/**
 * Helpers for the end-to-end suites: SDK clients per operator, Prometheus scraping, polling until
 * a condition holds (bounded), and running `uid2` CLI commands as child processes.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Uid2Client } from '../../src/client/uid2-client.ts';
import type { RunningStack } from '../../src/cli/stack/local-stack.ts';
import { repoRoot } from '../support/shared.ts';

const run = promisify(execFile);

export function clientOf(stack: RunningStack, operator: number): Uid2Client {
  return new Uid2Client({ baseUrl: stack.summary.operators[operator], apiKey: stack.summary.api_key, secretKey: stack.summary.secret });
}

/** The value of one sample of a metric on an operator's metrics port, or undefined. */
export function metricOf(stack: RunningStack, operator: number, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  return metricAt(stack.operatorMetrics[operator], name, labels);
}

/** The value of one sample of a metric at a Prometheus `/metrics` URL, or undefined. */
export async function metricAt(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await scrape(metricsUrl);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const found = Object.fromEntries([...(m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(m[4]);
  }
  return undefined;
}

/**
 * GET a metrics page. The operator process merges its request threads' metrics per scrape, and a
 * scrape on a loaded 2-core machine occasionally drops its connection; two retries keep one such
 * blip from failing a scenario, while a port that never answers still fails.
 */
async function scrape(metricsUrl: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
    } catch (err) {
      if (attempt >= 3) throw new Error(`cannot scrape ${metricsUrl}: ${(err as Error).message} (${String((err as Error).cause ?? '')})`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

/** Runs `uid2 <args>` and returns its stdout. */
export async function uid2(args: string[], env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [join(repoRoot, 'bin', 'uid2.mjs'), ...args], {
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return stdout;
}

/** A unique email per call, so scenarios sharing a stack never collide. */
let counter = 0;
export function uniqueEmail(tag: string): string {
  counter++;
  return `e2e-${tag}-${process.pid}-${Date.now()}-${counter}@example.com`;
}
