/**
 * `uid2 init --out DIR [--buckets N] [--scope uid2|euid]`: writes a demo data set
 * (src/core/dataset) and prints the demo client's API key and secret, the only time they are shown,
 * and how to run an operator on it (`uid2 operator --data DIR` reads DIR/operator-config.json).
 */
import { Command, Option } from 'commander';
import { createDemoDataset, DEMO_CLIENT_FILE, OPERATOR_CONFIG_FILE, OPERATOR_KEY_FILE } from '../../core/dataset/index.ts';
import { positiveInt } from '../option-parsers.ts';

export function register(program: Command): void {
  program
    .command('init')
    .description('write a demo data set (stores, configs, a demo client and operator key)')
    .requiredOption('--out <dir>', 'directory to write the data set to')
    .option('--buckets <n>', 'number of salt buckets (default 1048576)', positiveInt)
    .addOption(new Option('--scope <scope>', 'identity scope').choices(['uid2', 'euid']).default('uid2'))
    .action(async (opts: { out: string; buckets?: number; scope: 'uid2' | 'euid' }) => {
      const ds = await createDemoDataset({ out: opts.out, buckets: opts.buckets, identityScope: opts.scope });
      process.stdout.write(
        `data set written to ${ds.dir}\n` +
          `api_key: ${ds.apiKey}\n` +
          `secret: ${ds.secret}\n` +
          `(also in ${DEMO_CLIENT_FILE}; the operator key is in ${OPERATOR_KEY_FILE})\n` +
          `run an operator on it: uid2 operator --data ${ds.dir} (its config is ${OPERATOR_CONFIG_FILE} there)\n`,
      );
    });
}
