/**
 * `uid2 core --data DIR [--port N] [--host H] [--public-url URL] [--storage fs|azure]`: runs the
 * Core service (src/core) on a data set written by `uid2 init`. `--storage azure` reads the
 * stores from the container named by --container, with AZURE_STORAGE_CONNECTION_STRING.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { startCore } from '../../core/core-service.ts';

function port(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number');
  return n;
}

export function register(program: Command): void {
  program
    .command('core')
    .description('run the UID2 Core service (attestation and store metadata)')
    .requiredOption('--data <dir>', 'data set directory (see uid2 init)')
    .option('--port <n>', 'port to listen on', port, 8088)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'URL operators reach this Core at (overrides core_public_url)')
    .addOption(new Option('--storage <kind>', 'where the stores live').choices(['fs', 'azure']).default('fs'))
    .option('--container <name>', 'Azure Blob container for --storage azure', 'uid2-core')
    .action(async (opts: { data: string; port: number; host: string; publicUrl?: string; storage: 'fs' | 'azure'; container: string }) => {
      let core: Awaited<ReturnType<typeof startCore>>;
      try {
        core = await startCore({
          dataDir: opts.data,
          port: opts.port,
          host: opts.host,
          publicUrl: opts.publicUrl,
          storage: opts.storage,
          azureConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING,
          azureContainer: opts.container,
          logger: true,
        });
      } catch (err) {
        // A bad config or data set is reported in one line, never as a stack trace.
        process.stderr.write(`uid2 core: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`core listening on ${core.url}\n`);
      const stop = (): void => {
        core.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
