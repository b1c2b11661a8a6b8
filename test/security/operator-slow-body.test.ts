/**
 * Slow-body exhaustion (issue 14 §1) against the operator as `uid2 operator` runs it (a real child
 * process with two request threads), over real sockets (test/support/slow-body-rounds.ts): 400
 * connections each declaring a 1 MiB body and sending all but its last byte, to the two routes
 * that read a body without an API key (`/v2/token/refresh`, optional auth, and
 * `/v2/token/client-generate`), and to a role-checked route without a key (401 before a byte is
 * read); 50 connections sending one byte every 5 s. Each request thread buffers at most its body
 * budget (`http_max_buffered_body_bytes`); past it, 503 and a close; held bodies get 408 at the
 * request timeout.
 */
import { after, before, test } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDemoDataset, OPERATOR_CONFIG_FILE } from '../../src/core/dataset/index.ts';
import { LISTENING, spawnService, type ServiceProcess } from '../support/service-process.ts';
import { LIMITS, MEASURED_ENV, survives, type Scenario } from '../support/slow-body-rounds.ts';

let dir: string;
let operator: ServiceProcess;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uid2-operator-slow-body-'));
  await createDemoDataset({ out: dir, buckets: 64 });
  const env = { ...MEASURED_ENV, ...Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])), pod_termination_file: '' };
  operator = await spawnService(
    ['operator', '--data', dir, '--config', join(dir, OPERATOR_CONFIG_FILE), '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1', '--threads', '2'],
    LISTENING.operator,
    env,
  );
});

after(async () => {
  await operator?.kill();
  await rm(dir, { recursive: true, force: true });
});

const bodyRead = (): Scenario[] => [
  { label: '400 stalled 1 MiB bodies without a key', options: { connections: 400, mode: 'stall' }, expected: ['503', '408', 'none'] },
  { label: '50 bodies at 1 byte every 5 s without a key', options: { connections: 50, mode: 'trickle', trickleIntervalMs: 5000 }, expected: ['503', '408', 'none'] },
];

test('the operator survives slow bodies on /v2/token/refresh (no key needed): health answered, bounded memory, every connection closed, memory back after', async (t) => {
  await survives(t, operator, '/v2/token/refresh', bodyRead());
});

test('the operator survives slow bodies on /v2/token/client-generate (no key): the same', async (t) => {
  await survives(t, operator, '/v2/token/client-generate', bodyRead());
});

test('a role-checked route answers 401 before reading a byte of 400 stalled bodies', async (t) => {
  await survives(t, operator, '/v2/token/generate', [
    { label: '400 stalled 1 MiB bodies without a key', options: { connections: 400, mode: 'stall' }, expected: ['401', 'none'] },
  ]);
});
