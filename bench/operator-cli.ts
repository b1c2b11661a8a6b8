/**
 * The operator as production runs it (issue 16): `node bin/uid2.mjs operator` (the compiled dist/,
 * built by bench/run.ts first) in local mode over a benchmark data set, with `--threads N` or,
 * without it, the default thread count (the CPUs the process may use). Extra config keys go in
 * a config file layered over the data set's own. Ready when it prints its listening line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDataset } from './bench-data.ts';
import { startCommand, type BenchChild } from './child-process.ts';

const UID2_BIN = fileURLToPath(new URL('../bin/uid2.mjs', import.meta.url));
const LISTENING = /^operator listening on http:\/\/[^ ]+:(\d+) \(metrics on :(\d+)\/metrics\), (\d+) threads/;

export interface OperatorLaunch {
  readonly ds: BenchDataset;
  /** Request threads; undefined: the operator's default. */
  readonly threads?: number;
  /** Config keys layered over the data set's config file. */
  readonly config?: Record<string, unknown>;
}

let launches = 0;

/** Starts the operator; `info` holds `port`, `metricsPort` and `threads`. */
export function startOperatorProcess(o: OperatorLaunch): Promise<BenchChild> {
  const extra = join(o.ds.dir, `bench-config-${++launches}.json`);
  writeFileSync(extra, JSON.stringify(o.config ?? {}));
  const args = [UID2_BIN, 'operator', '--data', o.ds.dir, '--config', o.ds.configFile, '--config', extra, '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'];
  if (o.threads !== undefined) args.push('--threads', String(o.threads));
  return startCommand({
    command: process.execPath,
    args,
    // Its log lines at warn level and below (one per refused request) would drown the report.
    show: (line) => !line.startsWith('{') || /"level":(5|6)\d/.test(line),
    ready: (line) => {
      const m = LISTENING.exec(line);
      return m ? { port: Number(m[1]), metricsPort: Number(m[2]), threads: Number(m[3]) } : undefined;
    },
  });
}
