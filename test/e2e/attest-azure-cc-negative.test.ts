/**
 * azure-cc attestation failures through the real chain (spec attestation-azure.md §1.7, §2.1,
 * §2.2, §6.2 "Tests to include"): the operator's AttestationClient and AzureCcSkrProvider -> SKR
 * simulator -> MAA simulator -> Core over HTTP (azure-cc verifier against that MAA, enclave
 * registered). For each negative case: Core's HTTP status and `{status, message}` body, and the
 * operator's behaviour (403 -> exit(1) at once; 500 -> retried, no exit). One case runs the
 * operator CLI as a child process and checks that it exits non-zero.
 *
 * The 500 case runs first: Core caches MAA's signing keys for an hour once it has fetched them.
 */
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { AzureCcSkrProvider } from '../../src/attestation/azure-cc-provider.ts';
import { FAILURE_EXPLANATIONS } from '../../src/core/attest-failure.ts';
import type { AttestationProvider } from '../../src/attestation/types.ts';
import { AttestationClient, AttestationError } from '../../src/operator/sync/attestation-client.ts';
import { createOperatorIdentity } from '../../src/operator/sync/operator-identity.ts';
import { AttestationShutdownPolicy, type AttestOutcome } from '../../src/operator/sync/shutdown-policy.ts';
import { repoRoot } from '../support/shared.ts';
import { startAzureCcServices, type AzureCcServices } from './azure-cc-services.ts';

let s: AzureCcServices;

before(async () => {
  s = await startAzureCcServices();
});
after(async () => {
  await s?.close();
});
beforeEach(() => s.resetKnobs());

/** The real provider, optionally lying about the key or the Core it attests to; records what it sent. */
class RecordingProvider implements AttestationProvider {
  readonly name = 'azure-cc';
  last: { spki: Buffer; evidence: Buffer } | undefined;

  constructor(
    private readonly inner: AttestationProvider,
    private readonly lie: { spki?: Buffer; userData?: Buffer } = {},
  ) {}

  async getAttestationRequest(spki: Buffer, userData: Buffer): Promise<Buffer> {
    const evidence = await this.inner.getAttestationRequest(this.lie.spki ?? spki, this.lie.userData ?? userData);
    this.last = { spki, evidence };
    return evidence;
  }
}

interface Operator {
  client: AttestationClient;
  provider: RecordingProvider;
  policy: AttestationShutdownPolicy;
  exits: number[];
  outcomes: AttestOutcome[];
}

function operator(options: { location?: string; lie?: { spki?: Buffer; userData?: Buffer } } = {}): Operator {
  const logger = pino({ level: 'silent' });
  const exits: number[] = [];
  const outcomes: AttestOutcome[] = [];
  const policy = new AttestationShutdownPolicy({ now: Date.now, exit: (code) => void exits.push(code), logger });
  const inner = new AzureCcSkrProvider({ skrUrl: s.skr.attestMaaUrl, maaBaseUrl: s.maa.baseUrl, location: options.location });
  const provider = new RecordingProvider(inner, options.lie);
  const client = new AttestationClient({
    attestUrl: `${s.coreUrl}/attest`,
    operatorKey: s.operatorKey,
    operatorType: 'private',
    provider,
    identity: createOperatorIdentity('azure-cc-negative-test'),
    now: Date.now,
    logger,
    onOutcome: (outcome) => {
      outcomes.push(outcome);
      policy.handle(outcome);
    },
  });
  return { client, provider, policy, exits, outcomes };
}

/** Sends Core the operator's last request again, to read the body the client only classified. */
async function replay(op: Operator): Promise<{ status: number; body: unknown }> {
  const last = op.provider.last;
  assert.ok(last, 'the provider produced evidence');
  const res = await fetch(`${s.coreUrl}/attest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.operatorKey}` },
    body: JSON.stringify({ attestation_request: last.evidence.toString('base64'), public_key: last.spki.toString('base64'), operator_type: 'private' }),
  });
  return { status: res.status, body: await res.json() };
}

function freshSpki(): Buffer {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
}

test('MAA signing keys unreachable: Core 500 INTERNAL_ERROR; the operator retries without exiting, and recovers', async () => {
  s.maa.knobs = { certsUnavailable: true };
  const op = operator();
  await assert.rejects(op.client.attest(), (err: unknown) => err instanceof AttestationError && err.outcome === 'retryable' && err.status === 500);
  assert.deepEqual(await replay(op), { status: 500, body: { status: 'MAA signing keys unavailable', message: FAILURE_EXPLANATIONS.INTERNAL_ERROR } });
  assert.deepEqual(op.exits, []);
  assert.notEqual(op.policy.failingSince, undefined, 'the 12 h failure timer started');

  s.maa.knobs = {};
  await op.client.renewIfDue();
  assert.equal(op.client.isAttested(), true);
  assert.deepEqual(op.outcomes, ['retryable', 'success']);
  assert.equal(op.policy.failingSince, undefined, 'success clears the failure timer');
  assert.deepEqual(op.exits, []);
});

test('honest enclave: Core attests it and the operator holds a token', async () => {
  const op = operator();
  const attestation = await op.client.attest();
  assert.match(attestation.token, /-g$/);
  assert.ok(attestation.expiresAtMs > Date.now());
  assert.equal(attestation.optoutUrl, s.optout.url);
  assert.deepEqual(op.exits, []);
});

const cases: Array<{
  name: string;
  arrange?: () => void;
  options?: () => Parameters<typeof operator>[0];
  status: string;
  failure: keyof typeof FAILURE_EXPLANATIONS;
}> = [
  {
    name: 'wrong host data (a ccePolicy that is not registered)',
    arrange: () => void (s.skr.policyText = 'package policy\n# not the released policy\n'),
    status: 'enclave id not registered',
    failure: 'FORBIDDEN_ENCLAVE',
  },
  { name: 'debuggable UVM', arrange: () => void (s.skr.debuggable = true), status: 'the utility VM is debuggable', failure: 'BAD_FORMAT' },
  {
    name: 'key mismatch (evidence binds another key than public_key)',
    options: () => ({ lie: { spki: freshSpki() } }),
    status: 'runtime public key does not match public_key',
    failure: 'BAD_FORMAT',
  },
  { name: 'Europe location', options: () => ({ location: 'West Europe' }), status: 'location not supported', failure: 'BAD_PAYLOAD' },
  {
    name: 'attestation URL of another Core',
    options: () => ({ lie: { userData: Buffer.from('https://core-prod.uidapi.com/attest') } }),
    status: 'attestation URL does not match core_public_url',
    failure: 'UNKNOWN_ATTESTATION_URL',
  },
  { name: 'forged MAA token', arrange: () => void (s.maa.knobs = { signWithForeignKey: true }), status: 'signature invalid', failure: 'BAD_PAYLOAD' },
  { name: 'expired MAA token', arrange: () => void (s.maa.knobs = { expired: true }), status: 'token expired', failure: 'BAD_PAYLOAD' },
  { name: 'unknown kid', arrange: () => void (s.maa.knobs = { unknownKid: true }), status: 'unknown signing key id', failure: 'BAD_PAYLOAD' },
];

for (const c of cases) {
  test(`${c.name}: Core 403 ${c.failure}; the operator exits(1) at once`, async () => {
    c.arrange?.();
    const op = operator(c.options?.());
    await assert.rejects(op.client.attest(), (err: unknown) => err instanceof AttestationError && err.outcome === 'attestation_failure' && err.status === 403);
    assert.deepEqual(op.exits, [1]);
    assert.equal(op.client.isAttested(), false);
    assert.deepEqual(await replay(op), { status: 403, body: { status: c.status, message: FAILURE_EXPLANATIONS[c.failure] } });
  });
}

test('uid2 operator (attested mode, no --data) exits non-zero when Core rejects its debuggable UVM', { timeout: 60_000 }, async () => {
  s.skr.debuggable = true;
  const config = join(s.dir, 'azure-cc-operator.json');
  await writeFile(
    config,
    JSON.stringify({
      enclave_platform: 'azure-cc',
      operator_type: 'private',
      core_attest_url: `${s.coreUrl}/attest`,
      skr_url: s.skr.attestMaaUrl,
      maa_server_base_url: s.maa.baseUrl,
      salts_metadata_path: '/salt/refresh',
      uid_instance_id_prefix: 'negative-test',
      host: '127.0.0.1',
      port: 0,
      metrics_port: 0,
    }),
  );
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'uid2.mjs'), 'operator', '--config', config], {
    env: { PATH: process.env.PATH ?? '', core_api_token: s.operatorKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  assert.equal(code, 1, output);
  assert.match(output, /Core rejected the attestation/);
  assert.doesNotMatch(output, /operator listening/);
  assert.equal(output.includes(s.operatorKey), false, 'the operator key is never logged');
});
