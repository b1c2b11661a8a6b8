/**
 * `uid2 start` (what `npm start` runs): makes sure `.data/demo` holds a data set (creating one with
 * the Core data-set generator the first time), then runs the operator on 127.0.0.1:8080 and
 * prints how to call it with the CLI.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { createDemoDataset, DEMO_CLIENT_FILE, OPERATOR_CONFIG_FILE } from '../../core/dataset/index.ts';
import { portNumber } from '../option-parsers.ts';
import { runOrExit } from '../service-lifecycle.ts';
import { runOperator } from './operator.ts';

/** Buckets of the demo salt file: production's 2^20 is slow to generate on a laptop for a first start. */
const DEMO_BUCKETS = 1 << 16;

/** How to call the demo operator; credentials are read from the file, never printed. */
function usage(dir: string, port: number): string {
  const file = join(dir, DEMO_CLIENT_FILE);
  const read = (field: string) => `$(node -p "require('${file}').${field}")`;
  return (
    `demo data set: ${dir} (client credentials in ${file})\n` +
    'try:\n' +
    `  export UID2_BASE_URL=http://127.0.0.1:${port} UID2_API_KEY=${read('api_key')} UID2_SECRET_KEY=${read('secret')}\n` +
    '  node bin/uid2.mjs token generate --email user@example.com\n' +
    '  node bin/uid2.mjs map --email user@example.com\n' +
    `  curl http://127.0.0.1:${port}/ops/healthcheck\n`
  );
}

export function register(program: Command): void {
  program
    .command('start')
    .description('run a demo operator on 127.0.0.1:8080 (--port) over .data/demo (created on first start)')
    .option('--dir <dir>', 'demo data set directory', '.data/demo')
    .option('--port <n>', 'API port', portNumber, 8080)
    .option('--metrics-port <n>', 'Prometheus port', portNumber, 9080)
    .action(async (opts: { dir: string; port: number; metricsPort: number }) => {
      await runOrExit(async () => {
        const dir = resolve(opts.dir);
        if (!existsSync(join(dir, OPERATOR_CONFIG_FILE))) {
          process.stdout.write(`creating a demo data set in ${dir} ...\n`);
          await createDemoDataset({ out: dir, buckets: DEMO_BUCKETS });
        }
        const { port, metricsPort } = opts;
        const op = await runOperator({ data: dir, config: [join(dir, OPERATOR_CONFIG_FILE)], host: '127.0.0.1', port, metricsPort });
        process.stdout.write(usage(dir, op.port));
      });
    });
}
