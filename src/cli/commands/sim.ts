/**
 * `uid2 sim maa|skr|azure-identity`: run the Azure simulators standalone (spec
 * attestation-azure.md §6.2), e.g. for `uid2 stack --attestation azure-cc` or by hand. Each prints
 * one JSON line describing where it listens, then serves until SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { MaaSimulator } from '../../attestation/sim/maa-service.ts';
import { SkrSimulator, policyDigest } from '../../attestation/sim/skr-sidecar.ts';
import { ManagedIdentitySimulator } from '../../azure/sim/managed-identity-endpoint.ts';
import { KeyVaultSimulator } from '../../azure/sim/key-vault-service.ts';
import { collect, portNumber } from '../option-parsers.ts';
import { closeOnSignal } from '../service-lifecycle.ts';

/** A `uid2 sim <name>` subcommand with the listen address every simulator takes. */
function simulatorCommand(sim: Command, name: string, description: string): Command {
  return sim.command(name).description(description).option('--host <host>', 'listen address', '127.0.0.1');
}

export function register(program: Command): void {
  const sim = program.command('sim').description('run the Azure attestation and identity simulators');

  simulatorCommand(sim, 'maa', 'simulated Microsoft Azure Attestation: GET /certs, POST /attest/SevSnpVm')
    .option('--port <port>', 'listen port (0 = any)', portNumber, 0)
    .option('--location <name>', 'override x-ms-runtime.location in issued tokens')
    .option('--compliance <status>', 'x-ms-compliance-status to issue')
    .option('--debuggable', 'claim a debuggable UVM')
    .action(async (opts: { host: string; port: number; location?: string; compliance?: string; debuggable?: boolean }) => {
      const maa = new MaaSimulator({
        host: opts.host,
        port: opts.port,
        knobs: { location: opts.location, complianceStatus: opts.compliance, debuggable: opts.debuggable },
      });
      await maa.start();
      process.stdout.write(`${JSON.stringify({ service: 'maa', baseUrl: maa.baseUrl, kid: maa.kid })}\n`);
      closeOnSignal(() => maa.close());
    });

  simulatorCommand(sim, 'skr', 'simulated SKR sidecar: GET /status, POST /attest/maa, POST /attest/raw')
    .option('--port <port>', 'listen port (UID2 uses 9000)', portNumber, 9000)
    .option('--policy-file <file>', 'ccePolicy (Rego text) the simulated UVM was launched with')
    .option('--debuggable', 'set the SNP debug policy bit')
    .option('--maa-scheme <scheme>', 'scheme used to reach maa_endpoint (the real sidecar uses https)', 'https')
    .action(async (opts: { host: string; port: number; policyFile?: string; debuggable?: boolean; maaScheme: string }) => {
      if (opts.maaScheme !== 'http' && opts.maaScheme !== 'https') throw new Error('--maa-scheme must be http or https');
      const skr = new SkrSimulator({
        host: opts.host,
        port: opts.port,
        policyText: opts.policyFile ? readFileSync(opts.policyFile, 'utf8') : undefined,
        debuggable: opts.debuggable,
        maaScheme: opts.maaScheme,
      });
      await skr.start();
      const enclaveId = policyDigest(skr.policyText);
      process.stdout.write(`${JSON.stringify({ service: 'skr', baseUrl: skr.baseUrl, attestMaaUrl: skr.attestMaaUrl, enclaveId })}\n`);
      closeOnSignal(() => skr.close());
    });

  simulatorCommand(sim, 'azure-identity', 'simulated managed-identity endpoint and Key Vault (HTTPS, self-signed) for the operator key')
    .option('--secret <name=value>', 'a secret in the vault (repeatable)', collect, [])
    .option('--ca-out <file>', 'write the vault certificate (PEM) here for clients to trust')
    .action(async (opts: { host: string; secret: string[]; caOut?: string }) => {
      const secrets = Object.fromEntries(
        opts.secret.map((pair) => {
          const at = pair.indexOf('=');
          if (at <= 0) throw new Error(`--secret expects name=value, got ${pair.split('=')[0]}`);
          return [pair.slice(0, at), pair.slice(at + 1)];
        }),
      );
      const identity = new ManagedIdentitySimulator();
      await identity.start(opts.host);
      const vault = new KeyVaultSimulator({ identity, secrets });
      await vault.start(opts.host);
      if (opts.caOut) (await import('node:fs')).writeFileSync(opts.caOut, vault.certificate.certPem);
      process.stdout.write(
        `${JSON.stringify({ service: 'azure-identity', vaultUrl: vault.vaultUrl, env: identity.environment(), secrets: Object.keys(secrets) })}\n`,
      );
      closeOnSignal(async () => {
        await vault.close();
        await identity.close();
      });
    });
}
