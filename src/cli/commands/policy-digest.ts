/**
 * `uid2 policy-digest FILE`: prints the azure-cc enclave id of a confidential-container policy,
 * the lowercase hex SHA-256 of the decoded Rego (spec attestation-azure.md §2.3). FILE holds the
 * base64 policy as `az confcom acipolicygen --print-policy` prints it, or plain Rego with --rego.
 * "-" reads standard input.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ccePolicyDigest } from '../../azure/deploy-render.ts';
import { failCommand } from './deploy.ts';

export function register(program: Command): void {
  program
    .command('policy-digest')
    .description('print the SHA-256 (hex) of a CCE policy: the azure-cc enclave id to register with Core')
    .argument('<file>', 'file with the base64 policy from az confcom acipolicygen --print-policy ("-" = stdin)')
    .option('--rego', 'the file holds plain Rego text, not base64')
    .action((file: string, opts: { rego?: boolean }) => {
      try {
        const text = readFileSync(file === '-' ? 0 : file);
        process.stdout.write(`${ccePolicyDigest(opts.rego ? text : text.toString('utf8'), opts.rego)}\n`);
      } catch (err) {
        failCommand('policy-digest', err);
      }
    });
}
