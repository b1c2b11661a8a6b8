/**
 * An operator over the upstream local fixtures, v2 encryption ON unless overridden, with a
 * settable clock, served by its production HTTP server on 127.0.0.1. Requests go over real
 * sockets (`send`); helpers build real v2 envelopes.
 */
import pino from 'pino';
import { fixturesDir, localConfigPath } from '../../support/shared.ts';
import { sendHttp, type Reply, type SendOptions } from '../../support/http-send.ts';
import { createOperator, listenOperator, type Operator, type OperatorOptions } from '../../../src/operator/operator-service.ts';
import type { OperatorServer } from '../../../src/operator/http/server.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../../src/protocol/envelope-v2.ts';

/** Keys and secrets of the fixture's clients.json. */
export const CLIENTS = {
  special: { key: 'UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=', secret: 'DzBzbjTJcYL0swDtFs2krRNu+g1Eokm2tBU4dEuD0Wk=', siteId: 999 },
  dsp: { key: 'UID2-C-L-123-t32pCM.5NCX1E94UgOd2f8zhsKmxzCoyhXohHYSSWR8U=', secret: 'FsD4bvtjMkeTonx6HvQp6u0EiI1ApGH4pIZzZ5P7UcQ=', siteId: 123 },
} as const;

export interface TestOperator extends Operator {
  clock: { now: () => number; set(ms: number): void };
  readonly server: OperatorServer;
  readonly port: number;
  /** One request over a real socket to the operator's server. */
  send(o: SendOptions): Promise<Reply>;
  close(): Promise<void>;
}

export const FIXTURE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

export async function fixtureOperator(flags: OperatorOptions['flags'] = {}, extra: Partial<OperatorOptions> = {}): Promise<TestOperator> {
  let now = FIXTURE_NOW;
  const clock = { now: () => now, set: (ms: number) => void (now = ms) };
  const op = await createOperator({
    dataDir: fixturesDir,
    files: [localConfigPath],
    flags: { enable_v2_encryption: true, ...flags },
    clock,
    logger: pino({ level: 'silent' }),
    ...extra,
  });
  const { server, port } = await listenOperator(op, { port: 0, host: '127.0.0.1' });
  // A test file that does not close its operator still ends.
  server.server.unref();
  return { ...op, clock, server, port, send: (o) => sendHttp(port, o), close: () => server.close(1000) };
}

export interface V2Call {
  path: string;
  payload?: Record<string, unknown> | string | null;
  client?: { key: string; secret: string };
  binary?: boolean;
  headers?: Record<string, string>;
}

/** Sends an encrypted v2 request; returns the raw reply plus the decrypted JSON when 200. */
export async function callV2(op: TestOperator, call: V2Call) {
  const client = call.client ?? CLIENTS.special;
  const secret = Buffer.from(client.secret, 'base64');
  const payload = call.payload === undefined || call.payload === null ? null : typeof call.payload === 'string' ? call.payload : JSON.stringify(call.payload);
  const envelope = encodeRequestEnvelope(secret, { nowMs: op.clock.now(), payload });
  const res = await op.send({
    method: 'POST',
    url: call.path,
    headers: {
      authorization: `Bearer ${client.key}`,
      'content-type': call.binary ? 'application/octet-stream' : 'application/x-www-form-urlencoded',
      ...call.headers,
    },
    payload: call.binary ? envelope : envelope.toString('base64'),
  });
  let json: any;
  if (res.statusCode === 200) {
    const decoded = decodeResponseEnvelope(secret, call.binary ? res.rawPayload : res.body);
    json = JSON.parse(decoded.json);
  } else if ((res.headers['content-type'] ?? '').toString().startsWith('application/json')) {
    json = res.json();
  }
  return { res, json };
}
