/**
 * `uid2 operator [--data DIR] [--config FILE ...] [--port N] [--metrics-port N] [--host H] [--threads N]`:
 * runs the operator, in local mode (stores from --data DIR) or, when the config sets
 * `core_attest_url`, in attested mode (stores from Core; no data directory, as the azure-cc
 * bootstrap and the SGX launcher start it). Config layers: defaults < files in order < environment
 * variables named like the keys < these flags. Without --config, DIR/operator-config.json (what
 * `uid2 init` writes) is the config file when DIR holds one, so `uid2 init --out DIR` then
 * `uid2 operator --data DIR` runs. One process attests, syncs and holds the stores;
 * `--threads N` request threads serve the port (default: upstream's `service_instances`, else the
 * CPUs the process may use; `--workers` is the same option's old name). Prints one line when
 * listening; SIGTERM/SIGINT drain and close.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { OPERATOR_CONFIG_FILE } from '../../core/dataset/index.ts';
import { loadOperatorConfig } from '../../operator/config/config-layers.ts';
import { startThreadedOperator } from '../../operator/operator-process.ts';
import { startOperator, type RunningOperator } from '../../operator/operator-service.ts';
import { defaultThreadCount } from '../../operator/threads/thread-count.ts';
import { collect, portNumber } from '../option-parsers.ts';
import { closeOnSignal, runOrExit } from '../service-lifecycle.ts';

function threadCount(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 1024) throw new InvalidArgumentError('must be a number of threads, 1 or more');
  return n;
}

export interface OperatorRunOptions {
  data?: string;
  config: string[];
  port?: number;
  metricsPort?: number;
  host?: string;
  threads?: number;
  workers?: number;
}

/** The config files: the ones given, else the data set's own `operator-config.json` when it has one. */
export function configFilesOf(opts: Pick<OperatorRunOptions, 'data' | 'config'>): string[] {
  if (opts.config.length > 0 || opts.data === undefined) return opts.config;
  const own = join(opts.data, OPERATOR_CONFIG_FILE);
  return existsSync(own) ? [own] : [];
}

function sourcesOf(opts: OperatorRunOptions) {
  return { dataDir: opts.data, files: configFilesOf(opts), env: process.env, flags: { port: opts.port, metrics_port: opts.metricsPort, host: opts.host } };
}

/** The operator in this process on its own server (`uid2 start`): the listening line, signals. */
export async function runOperator(opts: OperatorRunOptions): Promise<RunningOperator> {
  const op = await startOperator(sourcesOf(opts));
  process.stdout.write(`operator listening on http://${op.deps.config.host}:${op.port} (metrics on :${op.metricsPort}/metrics)\n`);
  closeOnSignal(() => op.close());
  return op;
}

/** The operator process with its request threads: the same line, with the thread count. */
async function runThreadedOperator(opts: OperatorRunOptions): Promise<void> {
  const sources = sourcesOf(opts);
  const threads = opts.threads ?? opts.workers ?? loadOperatorConfig(sources).serviceInstances ?? defaultThreadCount();
  const op = await startThreadedOperator({ ...sources, threads });
  process.stdout.write(`operator listening on http://${op.deps.config.host}:${op.port} (metrics on :${op.metricsPort}/metrics), ${threads} threads\n`);
  closeOnSignal(() => op.close());
}

export function register(program: Command): void {
  program
    .command('operator')
    .description('run the UID2 operator API (local mode: stores read from --data; attested mode: core_attest_url set, stores from Core)')
    .option('--data <dir>', 'local mode: data directory that metadata paths and locations resolve against')
    .option('--config <file>', `config file (JSON or YAML); repeat to layer several (default: DIR/${OPERATOR_CONFIG_FILE} when --data DIR holds one, as uid2 init writes)`, collect, [])
    .option('--port <n>', 'API port (default 8080)', portNumber)
    .option('--metrics-port <n>', 'Prometheus port (default 9080)', portNumber)
    .option('--host <host>', 'address to listen on (default 0.0.0.0)')
    .option('--threads <n>', 'request threads serving the port (default: service_instances, else the CPUs this process may use)', threadCount)
    .option('--workers <n>', 'the same as --threads (its former name)', threadCount)
    .action(async (opts: OperatorRunOptions) => {
      await runOrExit(() => runThreadedOperator(opts));
    });
}
