/**
 * `uid2 operator [--data DIR] [--config FILE ...] [--port N] [--metrics-port N] [--host H] [--workers N]`: runs
 * the operator, in local mode (stores from --data DIR) or, when the config sets `core_attest_url`,
 * in attested mode (stores from Core; no data directory, as the azure-cc bootstrap and the SGX
 * launcher start it). Config layers: defaults < files in order < environment variables named
 * like the keys < these flags. Without --config, DIR/operator-config.json (what `uid2 init`
 * writes) is the config file when DIR holds one, so `uid2 init --out DIR` then
 * `uid2 operator --data DIR` runs. Prints one line when listening; SIGTERM/SIGINT close cleanly.
 * `--workers N` (default: the CPU count, spec §1 `service_instances`) serves the port from N
 * node:cluster worker processes (src/operator/cluster); 1 runs the operator in this process.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { OPERATOR_CONFIG_FILE } from '../../core/dataset/index.ts';
import { ClusterStopped, defaultWorkerCount, startOperatorCluster, type FatalEvent } from '../../operator/cluster/operator-cluster.ts';
import { startOperator, type RunningOperator } from '../../operator/operator-service.ts';
import { collect, portNumber } from '../option-parsers.ts';
import { closeOnSignal, runOrExit } from '../service-lifecycle.ts';

function workerCount(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 1024) throw new InvalidArgumentError('must be a number of workers, 1 or more');
  return n;
}

export interface OperatorRunOptions {
  data?: string;
  config: string[];
  port?: number;
  metricsPort?: number;
  host?: string;
  workers?: number;
}

/** The config files: the ones given, else the data set's own `operator-config.json` when it has one. */
export function configFilesOf(opts: Pick<OperatorRunOptions, 'data' | 'config'>): string[] {
  if (opts.config.length > 0 || opts.data === undefined) return opts.config;
  const own = join(opts.data, OPERATOR_CONFIG_FILE);
  return existsSync(own) ? [own] : [];
}

/** Starts the operator, prints the listening line and wires signals; shared with `uid2 start`. */
export async function runOperator(opts: OperatorRunOptions, banner = ''): Promise<RunningOperator> {
  const op = await startOperator({
    dataDir: opts.data,
    files: configFilesOf(opts),
    env: process.env,
    flags: { port: opts.port, metrics_port: opts.metricsPort, host: opts.host },
  });
  const host = op.deps.config.host;
  process.stdout.write(`operator listening on http://${host}:${op.port} (metrics on :${op.metricsPort}/metrics)\n${banner}`);
  closeOnSignal(() => op.close());
  return op;
}

/** The same as `runOperator` with N worker processes on the port: same line, same signals. */
async function runOperatorCluster(opts: OperatorRunOptions, workers: number): Promise<void> {
  const cluster = await startOperatorCluster({
    workers,
    operator: { dataDir: opts.data, files: configFilesOf(opts), flags: { port: opts.port, metrics_port: opts.metricsPort, host: opts.host } },
  }).catch((err: unknown) => {
    // SIGTERM/SIGINT while the workers were starting is an orderly stop, not a failure.
    if (err instanceof ClusterStopped) {
      process.stderr.write(`uid2: ${err.message}\n`);
      process.exit(0);
    }
    throw err;
  });
  process.stdout.write(`operator listening on http://${cluster.host}:${cluster.port} (metrics on :${cluster.metricsPort}/metrics), ${workers} workers\n`);
  cluster.once('fatal', (e: FatalEvent) => {
    process.stderr.write(`uid2: ${e.reason}\n`);
    void cluster.close().finally(() => process.exit(e.code));
  });
  closeOnSignal(() => cluster.close());
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
    .option('--workers <n>', 'worker processes serving the port (default: CPU count; 1 = no workers)', workerCount)
    .action(async (opts: OperatorRunOptions) => {
      const workers = opts.workers ?? defaultWorkerCount();
      await runOrExit(() => (workers > 1 ? runOperatorCluster(opts, workers) : runOperator(opts)));
    });
}
