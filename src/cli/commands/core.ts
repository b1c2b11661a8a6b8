/**
 * `uid2 core --data DIR [--port N] [--host H] [--public-url URL] [--storage fs|azure]`: runs the
 * Core service (src/core) on a data set written by `uid2 init`. `--storage azure` reads the
 * stores from the container named by --container, with AZURE_STORAGE_CONNECTION_STRING.
 * Config: DIR/core-config.json, overridden by environment variables named like its keys.
 */
import { Command, Option } from 'commander';
import { startCore } from '../../core/core-service.ts';
import { portNumber } from '../option-parsers.ts';
import { closeOnSignal, runOrExit } from '../service-lifecycle.ts';

export function register(program: Command): void {
  program
    .command('core')
    .description('run the UID2 Core service (attestation and store metadata)')
    .requiredOption('--data <dir>', 'data set directory (see uid2 init)')
    .option('--port <n>', 'port to listen on', portNumber, 8088)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'URL operators reach this Core at (overrides core_public_url)')
    .addOption(new Option('--storage <kind>', 'where the stores live').choices(['fs', 'azure']).default('fs'))
    .option('--container <name>', 'Azure Blob container for --storage azure', 'uid2-core')
    .action(async (opts: { data: string; port: number; host: string; publicUrl?: string; storage: 'fs' | 'azure'; container: string }) => {
      await runOrExit(async () => {
        const core = await startCore({
          dataDir: opts.data,
          port: opts.port,
          host: opts.host,
          publicUrl: opts.publicUrl,
          storage: opts.storage,
          azureConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING,
          azureContainer: opts.container,
          env: process.env,
          logger: true,
        });
        process.stdout.write(`core listening on ${core.url}\n`);
        closeOnSignal(() => core.close());
      }, 'uid2 core');
    });
}
