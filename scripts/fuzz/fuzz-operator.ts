/**
 * An operator over the upstream local fixtures for the route fuzzer: v2 encryption on, a clock
 * the fuzzer advances, a silent logger that still records error lines (so the run can check
 * that nothing was logged as an unexpected error), and an in-memory opt-out writer.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createOperator, type Operator } from '../../src/operator/operator-service.ts';
import type { OptOutRequest, OptOutWriter } from '../../src/operator/optout/optout-writer.ts';
import { fixturesDir, localConfigPath } from '../../test/support/shared.ts';

export const FUZZ_START_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface FixtureClient {
  readonly name: string;
  readonly key: string;
  readonly secret: Buffer;
  readonly roles: readonly string[];
}

export interface FuzzOperator {
  readonly op: Operator;
  readonly clock: { now(): number; advance(ms: number): void };
  readonly clients: readonly FixtureClient[];
  /** The client holding every role (site 999 in the fixture). */
  readonly special: FixtureClient;
  readonly cstg: { subscriptionId: string; publicKey: string };
  /** Log lines at level error or above since the last call. */
  takeErrorLogs(): string[];
  readonly optOuts: OptOutRequest[];
  close(): Promise<void>;
}

/** The fixture's clients.json carries plaintext keys for local testing. */
function fixtureClients(): FixtureClient[] {
  const records = JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core/test/clients/clients.json'), 'utf8'));
  return records.map((r: any) => ({ name: r.name, key: r.key, secret: Buffer.from(r.secret, 'base64'), roles: r.roles }));
}

export async function createFuzzOperator(): Promise<FuzzOperator> {
  let now = FUZZ_START_MS;
  const clock = { now: () => now, advance: (ms: number) => void (now += ms) };
  const errorLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      errorLines.push(String(chunk));
      done();
    },
  });
  const optOuts: OptOutRequest[] = [];
  const optOutWriter: OptOutWriter = {
    async write(request) {
      if (optOuts.length < 1000) optOuts.push(request);
    },
  };
  const op = await createOperator({
    dataDir: fixturesDir,
    files: [localConfigPath],
    flags: { enable_v2_encryption: true },
    clock,
    logger: pino({ level: 'error' }, sink),
    optOutWriter,
  });
  op.deps.health.set('http-server', true); // nothing listens; the healthcheck route is fuzzed as if it did
  const clients = fixtureClients();
  const pair = JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core/test/client_side_keypairs/client_side_keypairs.json'), 'utf8'))[0];
  return {
    op,
    clock,
    clients,
    special: clients.find((c) => c.name === 'Special') ?? clients[0],
    cstg: { subscriptionId: pair.subscription_id, publicKey: pair.public_key },
    takeErrorLogs: () => errorLines.splice(0),
    optOuts,
    close: async () => {},
  };
}
