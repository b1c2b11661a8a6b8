/**
 * The operator's attestation client against a Core simulator that speaks the real `/attest` wire
 * protocol (spec attestation-azure.md §1.2-§1.7): request shape and headers, PKCS#1 v1.5 token
 * unwrapping, status mapping, the shutdown rules on a fake clock, and renewal timing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { AttestationClient, AttestationError, RENEWAL_MARGIN_MS } from '../../src/operator/sync/attestation-client.ts';
import { NoAttestationProvider } from '../../src/operator/sync/attestation-provider-choice.ts';
import { appVersionHeader, createOperatorIdentity } from '../../src/operator/sync/operator-identity.ts';
import { ATTEST_FAILURE_SHUTDOWN_MS, AttestationShutdownPolicy } from '../../src/operator/sync/shutdown-policy.ts';

const logger = pino({ level: 'silent' });
const OPERATOR_KEY = 'UID2-O-L-999-testoperatorkey';
const TOKEN = 'opaque-attestation-token-g';

interface Seen {
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
}

/** A Core `/attest` simulator: answers `status`, or success with the token wrapped to the caller's key. */
class CoreSimulator {
  status = 200;
  successBody: ((publicKey: string) => unknown) | undefined;
  expiresAtMs = Date.now() + 7_200_000;
  readonly seen: Seen[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        this.seen.push({ body, headers: req.headers });
        if (this.status !== 200) {
          res.writeHead(this.status, { 'content-type': 'application/json' }).end('{"status":"error"}');
          return;
        }
        const publicKey = String(body.public_key);
        const answer = this.successBody?.(publicKey) ?? {
          status: 'success',
          body: {
            attestation_token: publicEncrypt(
              { key: createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_PADDING },
              Buffer.from(TOKEN, 'utf8'),
            ).toString('base64'),
            expiresAt: new Date(this.expiresAtMs).toISOString(),
            optout_url: 'http://127.0.0.1:1/optout-base',
            attestation_jwt_optout: 'jwt.optout.x',
            attestation_jwt_core: 'jwt.core.x',
          },
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/attest`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()) ?? r());
  }
}

function setup(core: CoreSimulator, clock: { now: number }) {
  const exits: { code: number; reason: string }[] = [];
  const policy = new AttestationShutdownPolicy({ now: () => clock.now, exit: (code, reason) => exits.push({ code, reason }), logger });
  const identity = createOperatorIdentity('test-operator');
  const client = new AttestationClient({
    attestUrl: core.url,
    operatorKey: OPERATOR_KEY,
    operatorType: 'private',
    provider: new NoAttestationProvider(),
    identity,
    now: () => clock.now,
    logger,
    onOutcome: (o) => policy.handle(o),
  });
  return { client, exits, policy, identity };
}

test('attest sends the exact body and headers and unwraps the PKCS#1 v1.5 token', async (t) => {
  const core = new CoreSimulator();
  await core.start();
  t.after(() => core.close());
  const clock = { now: Date.now() };
  const { client, identity } = setup(core, clock);

  const a = await client.attest();
  assert.equal(a.token, TOKEN);
  assert.equal(a.expiresAtMs, Math.floor(core.expiresAtMs));
  assert.equal(a.optoutUrl, 'http://127.0.0.1:1/optout-base');
  assert.equal(a.coreJwt, 'jwt.core.x');
  assert.equal(a.optoutJwt, 'jwt.optout.x');
  assert.ok(client.isAttested());

  const { body, headers } = core.seen[0];
  assert.deepEqual(Object.keys(body), ['attestation_request', 'public_key', 'application_name', 'application_version', 'operator_type', 'components']);
  assert.equal(body.attestation_request, 'AA==', 'trusted evidence is the single byte 0x00');
  assert.equal(Buffer.from(String(body.public_key), 'base64').length, 294);
  assert.ok(String(body.public_key).startsWith('MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'));
  assert.equal(body.application_name, 'uid2-operator');
  assert.equal(body.operator_type, 'private');
  assert.deepEqual(Object.keys(body.components as object).sort(), ['uid2-attestation-api', 'uid2-shared']);
  assert.equal(headers.authorization, `Bearer ${OPERATOR_KEY}`);
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers['x-uid2-appversion'], appVersionHeader(identity));
  assert.match(String(headers['x-uid2-appversion']), /^uid2-operator=[^;]+;uid2-shared=[^;]+;uid2-attestation-api=[^;]+$/);
  assert.match(String(headers['uid-instance-id']), /^test-operator-[0-9a-f]{16}$/);
  assert.equal(headers['uid2-enclave-id'], undefined);

  await client.attest();
  assert.notEqual(core.seen[1].body.public_key, body.public_key, 'every attempt uses a fresh key pair');
});

test('concurrent callers share one attempt', async (t) => {
  const core = new CoreSimulator();
  await core.start();
  t.after(() => core.close());
  const { client } = setup(core, { now: Date.now() });
  const [a, b] = await Promise.all([client.ensureAttested(), client.ensureAttested()]);
  assert.equal(a, b);
  assert.equal(core.seen.length, 1);
  await client.ensureAttested();
  assert.equal(core.seen.length, 1, 'a valid token is reused');
});

for (const status of [401, 403]) {
  test(`HTTP ${status} is an attestation failure that exits(1) at once`, async (t) => {
    const core = new CoreSimulator();
    core.status = status;
    await core.start();
    t.after(() => core.close());
    const { client, exits } = setup(core, { now: Date.now() });
    await assert.rejects(client.attest(), (e: unknown) => e instanceof AttestationError && e.outcome === 'attestation_failure' && e.status === status);
    assert.deepEqual(exits.map((e) => e.code), [1]);
    assert.equal(client.isAttested(), false);
  });
}

test('other failures are retried and exit only after 12 h of continuous failure', async (t) => {
  const core = new CoreSimulator();
  core.status = 500;
  await core.start();
  t.after(() => core.close());
  const clock = { now: 1_000_000 };
  const { client, exits, policy } = setup(core, clock);

  await assert.rejects(client.attest(), (e: unknown) => e instanceof AttestationError && e.outcome === 'retryable');
  assert.equal(policy.failingSince, 1_000_000);
  clock.now += ATTEST_FAILURE_SHUTDOWN_MS - 1;
  await client.renewIfDue();
  assert.equal(exits.length, 0, 'still inside the 12 h window');

  // A success in between resets the timer.
  core.status = 200;
  core.expiresAtMs = clock.now + 7_200_000;
  await client.renewIfDue();
  assert.equal(policy.failingSince, undefined);

  core.status = 502;
  client.invalidate();
  await client.renewIfDue();
  clock.now += ATTEST_FAILURE_SHUTDOWN_MS;
  await client.renewIfDue();
  assert.equal(exits.length, 0, 'exactly 12 h is not yet "more than 12 h"');
  clock.now += 1;
  await client.renewIfDue();
  assert.deepEqual(exits.map((e) => e.code), [1]);
});

test('Core unreachable counts as a retryable failure', async () => {
  const core = new CoreSimulator();
  await core.start();
  await core.close();
  const { client, policy, exits } = setup(core, { now: 5 });
  await assert.rejects(client.attest(), (e: unknown) => e instanceof AttestationError && e.outcome === 'retryable');
  assert.equal(policy.failingSince, 5);
  assert.equal(exits.length, 0);
});

test('a 200 without a usable success body is retryable', async (t) => {
  const core = new CoreSimulator();
  await core.start();
  t.after(() => core.close());
  const { client, exits } = setup(core, { now: Date.now() });
  const bodies: unknown[] = [
    { status: 'error', body: {} },
    { status: 'success' },
    { status: 'success', body: { expiresAt: new Date().toISOString() } },
    { status: 'success', body: { attestation_token: 'AAAA', expiresAt: 'not a date' } },
    { status: 'success', body: { attestation_token: Buffer.alloc(256, 7).toString('base64'), expiresAt: new Date().toISOString() } },
  ];
  for (const b of bodies) {
    core.successBody = () => b;
    await assert.rejects(client.attest(), (e: unknown) => e instanceof AttestationError && e.outcome === 'retryable' && e.status === 200);
  }
  assert.equal(exits.length, 0);
  assert.equal(client.isAttested(), false);
});

test('renewal happens only within 10 minutes of expiry; an expired token re-attests on use', async (t) => {
  const core = new CoreSimulator();
  await core.start();
  t.after(() => core.close());
  const clock = { now: Date.now() };
  core.expiresAtMs = clock.now + 3_600_000;
  const { client } = setup(core, clock);
  await client.attest();
  assert.equal(client.needsRenewal(), false);
  await client.renewIfDue();
  assert.equal(core.seen.length, 1);

  clock.now = core.expiresAtMs - RENEWAL_MARGIN_MS + 1;
  assert.equal(client.needsRenewal(), true);
  core.expiresAtMs = clock.now + 3_600_000;
  await client.renewIfDue();
  assert.equal(core.seen.length, 2);
  assert.equal(client.current()?.expiresAtMs, core.expiresAtMs);

  clock.now = core.expiresAtMs;
  assert.equal(client.isAttested(), false, 'a token is invalid from its expiry on');
  core.expiresAtMs = clock.now + 3_600_000;
  await client.ensureAttested();
  assert.equal(core.seen.length, 3);
});
