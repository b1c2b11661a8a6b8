/**
 * `uid2 optout --data DIR [--port N] [--host H] [--storage fs|azure [--core-container C]]`: runs the OptOut service
 * (src/optout/optout-service.ts). SIGTERM/SIGINT flush queued opt-outs and close cleanly.
 * `optout-status.ts` may already have created the `optout` group (for `uid2 optout status`); the
 * service options and action then go on that same command. `--data` is checked in the action,
 * not as a required option, so that `uid2 optout status` does not need it.
 */
import { Command, Option } from 'commander';
import { startOptOutService, type OptOutStorageKind } from '../../optout/optout-service.ts';
import { requestLogSerializers } from '../../optout/optout-app.ts';
import { portNumber } from '../option-parsers.ts';
import { closeOnSignal } from '../service-lifecycle.ts';

export function register(program: Command): void {
  const optout = program.commands.find((c) => c.name() === 'optout') ?? program.command('optout');
  optout
    .description('run the OptOut service (opt-out replicate/refresh) on a data set; `optout status` queries an operator')
    .option('--data <dir>', 'data set directory (uid2 init --out DIR); required to run the service')
    .option('--port <n>', 'HTTP port (0 = any free port)', portNumber, 8081)
    .option('--host <host>', 'listen address', '127.0.0.1')
    .addOption(new Option('--storage <kind>', 'blob backend for published files and operator keys').choices(['fs', 'azure']).default('fs'))
    .option('--core-container <name>', "--storage azure: Core's container, where the operator keys live (default: core_blob_container, uid2-core)")
    .action(async (opts: { data?: string; port: number; host: string; storage: OptOutStorageKind; coreContainer?: string }) => {
      if (!opts.data) optout.error("error: required option '--data <dir>' not specified");
      const service = await startOptOutService({
        dataDir: opts.data!,
        host: opts.host,
        port: opts.port,
        storage: opts.storage,
        coreContainer: opts.coreContainer,
        env: process.env,
        logger: { level: process.env.LOG_LEVEL ?? 'info', serializers: requestLogSerializers },
      });
      service.app.log.info({ url: service.url, storage: opts.storage }, 'optout service listening');
      closeOnSignal(() => service.close());
    });
}
