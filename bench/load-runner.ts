/**
 * Constant-concurrency HTTP load with a rotating pool of request bodies, on 127.0.0.1. Uses wrk
 * (Debian package) when installed — it needs far less CPU per request than a Node client, which
 * matters on a 2-core machine where the client and the server share the cores — and autocannon
 * (devDependency) otherwise. Both the operator and the bare reference are driven by the same tool
 * with the same settings in one run, so their ratio is comparable.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadSpec {
  readonly port: number;
  readonly path: string;
  readonly headers: Record<string, string>;
  /**
   * One body per request, used in order and wrapped around if the run outlasts the pool; a
   * body may be preceded by its own path and a tab (a mix of routes).
   */
  readonly bodies: readonly string[];
  readonly connections: number;
  readonly durationS: number;
  /** Load threads (wrk `-t`; default 1). */
  readonly threads?: number;
  /** Open loop at this many requests per second in all (wrk only, see wrk-pool.lua); default: closed loop. */
  readonly rate?: number;
}

export interface LoadResult {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Transport errors plus non-2xx answers. */
  readonly errors: number;
  /** Answers with a status other than 2xx. */
  readonly non2xx: number;
}

const WRK_SCRIPT = fileURLToPath(new URL('./wrk-pool.lua', import.meta.url));

export function pickLoadTool(prefer?: string): LoadTool {
  if (prefer === 'autocannon' || prefer === 'wrk') return prefer;
  return ['/usr/bin/wrk', '/usr/local/bin/wrk'].some((p) => existsSync(p)) ? 'wrk' : 'autocannon';
}

async function runWrk(spec: LoadSpec, poolDir: string): Promise<LoadResult> {
  const pool = join(poolDir, `pool-${process.pid}-${Date.now()}.txt`);
  writeFileSync(pool, spec.bodies.join('\n') + '\n');
  const headerArgs = Object.entries(spec.headers).map(([k, v]) => `${k}: ${v}`);
  const threads = spec.threads ?? 1;
  const args = [`-t${threads}`, `-c${Math.max(spec.connections, threads)}`, `-d${spec.durationS}s`, '--timeout', '10s', '-s', WRK_SCRIPT,
    `http://127.0.0.1:${spec.port}${spec.path}`, '--', `pool=${pool}`, `path=${spec.path}`, `threads=${threads}`, ...headerArgs];
  const env = spec.rate === undefined ? process.env : { ...process.env, BENCH_WRK_RATE: String(spec.rate / threads) };
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let text = '';
    p.stdout.on('data', (c: Buffer) => (text += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}`))));
  });
  rmSync(pool, { force: true });
  const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
  if (!line) throw new Error('wrk printed no result');
  const r = JSON.parse(line.slice('WRK_JSON '.length));
  return {
    rps: r.requests / (r.duration_us / 1e6),
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
    requests: r.requests,
    errors: r.connect + r.read + r.write + r.status + r.timeout,
    non2xx: r.status,
  };
}

async function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  if (spec.rate !== undefined) throw new Error('an open-loop rate needs wrk');
  let i = 0;
  const bodies = spec.bodies;
  const next = (req: Record<string, unknown>) => {
    const line = bodies[i++ % bodies.length];
    const tab = line.startsWith('/') ? line.indexOf('\t') : -1;
    return tab < 0 ? { ...req, body: line } : { ...req, path: line.slice(0, tab), body: line.slice(tab + 1) };
  };
  const result = await autocannon({
    url: `http://127.0.0.1:${spec.port}`,
    connections: spec.connections,
    duration: spec.durationS,
    requests: [
      {
        method: 'POST',
        path: spec.path,
        headers: spec.headers,
        setupRequest: next,
      },
    ],
  });
  return {
    rps: result.requests.total / (result.duration || spec.durationS),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
    non2xx: result.non2xx,
  };
}

export function runLoad(tool: LoadTool, spec: LoadSpec, poolDir: string): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(spec, poolDir) : runAutocannon(spec);
}
