/**
 * `uid2 stack [--operators N] [--data DIR] [--storage fs|azure] [--attestation trusted|azure-cc|azure-sgx]`
 * (`npm run stack`): a local UID2 system of child processes on loopback (src/cli/stack). When all
 * services are healthy it prints one JSON line `{"core","optout","operators":[...],"api_key",
 * "secret"}` on stdout; SIGINT/SIGTERM stop every child. Service logs go to DIR/logs/.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { positiveInt } from '../option-parsers.ts';
import { startStack } from '../stack/local-stack.ts';
import { STACK_ATTESTATIONS, type StackAttestation } from '../stack/stack-attestation.ts';

interface StackFlags {
  operators: number;
  data?: string;
  storage: 'fs' | 'azure';
  attestation: StackAttestation;
  refreshMs: number;
  buckets: number;
}

export function register(program: Command): void {
  program
    .command('stack')
    .description('run Core, OptOut and N attested operators locally as child processes')
    .option('--operators <n>', 'number of operators', positiveInt, 1)
    .option('--data <dir>', 'data set directory (created with a demo data set when empty; default: a new temp dir)')
    .addOption(new Option('--storage <kind>', 'where Core and OptOut keep their files').choices(['fs', 'azure']).default('fs'))
    .addOption(new Option('--attestation <kind>', 'operator attestation').choices([...STACK_ATTESTATIONS]).default('trusted'))
    .option('--refresh-ms <ms>', 'store poll period of operators and Core', positiveInt, 10_000)
    .option('--buckets <n>', 'salt buckets of a new data set', positiveInt, 65_536)
    .action(async (flags: StackFlags) => {
      const dataDir = flags.data ?? mkdtempSync(join(tmpdir(), 'uid2-stack-'));
      let stack: Awaited<ReturnType<typeof startStack>> | undefined;
      let stopping = false;
      const shutdown = async (code: number) => {
        if (stopping) return;
        stopping = true;
        await stack?.stop();
        process.exit(code);
      };
      process.once('SIGINT', () => void shutdown(0));
      process.once('SIGTERM', () => void shutdown(0));
      try {
        stack = await startStack({
          dataDir,
          operators: flags.operators,
          storage: flags.storage,
          attestation: flags.attestation,
          refreshMs: flags.refreshMs,
          buckets: flags.buckets,
          azureConnectionString: process.env.AZURE_STORAGE_CONNECTION_STRING,
        });
      } catch (err) {
        process.stderr.write(`uid2 stack: ${(err as Error).message}\n`);
        await shutdown(1);
        return;
      }
      if (stopping) return;
      process.stderr.write(`uid2 stack: data and logs in ${stack.dataDir}\n`);
      process.stdout.write(`${JSON.stringify(stack.summary)}\n`);
      // A child that dies on its own (e.g. an operator whose key was revoked) is reported, not restarted.
      for (const child of [stack.core, stack.optout, ...stack.operators]) {
        void child.waitForExit().then(() => {
          if (!stopping) process.stderr.write(`uid2 stack: ${child.name} exited (code ${child.exitCode})\n`);
        });
      }
    });
}
