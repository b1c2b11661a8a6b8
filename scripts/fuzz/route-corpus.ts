/**
 * "Captured" requests for the route fuzzer: one real, successful request per route and shape,
 * built with the protocol encoders the SDKs use and replayed against the fuzz operator once so
 * the corpus only holds requests the operator accepts. Mutations start from these.
 */
import { Pipeline } from '../../src/operator/http/pipeline.ts';
import { splitTarget } from '../../src/operator/http/request.ts';
import { headHeaders } from '../../src/operator/http/server.ts';
import { encryptCstgRequest } from '../../src/protocol/cstg.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import type { FixtureClient, FuzzOperator } from './fuzz-operator.ts';

export type RequestKind = 'v2' | 'refresh' | 'cstg' | 'plain';

export interface CapturedRequest {
  readonly kind: RequestKind;
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** v2: the JSON inside the envelope; cstg: the JSON body; refresh: `{refresh_token}`. */
  readonly json: unknown;
  readonly client: FixtureClient | undefined;
  readonly binary: boolean;
}

export function v2Request(fo: FuzzOperator, client: FixtureClient, url: string, json: unknown, binary = false, text?: string): CapturedRequest {
  const payload = text ?? (json === null ? null : JSON.stringify(json));
  const envelope = encodeRequestEnvelope(client.secret, { nowMs: fo.clock.now(), payload });
  return {
    kind: 'v2',
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${client.key}`, 'content-type': binary ? 'application/octet-stream' : 'text/plain' },
    body: binary ? envelope : Buffer.from(envelope.toString('base64')),
    json,
    client,
    binary,
  };
}

export function cstgRequest(fo: FuzzOperator, plaintext: string, overrides: Record<string, unknown> = {}, origin = 'https://localhost'): CapturedRequest {
  const { body } = encryptCstgRequest({ serverPublicKey: fo.cstg.publicKey, plaintext, timestampMs: fo.clock.now(), subscriptionId: fo.cstg.subscriptionId });
  const json = { ...body, ...overrides };
  return { kind: 'cstg', method: 'POST', url: '/v2/token/client-generate', headers: { 'content-type': 'application/json', origin }, body: Buffer.from(JSON.stringify(json)), json, client: undefined, binary: false };
}

export function refreshRequest(refreshToken: string, client?: FixtureClient): CapturedRequest {
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  if (client) headers.authorization = `Bearer ${client.key}`;
  return { kind: 'refresh', method: 'POST', url: '/v2/token/refresh', headers, body: Buffer.from(refreshToken), json: { refresh_token: refreshToken }, client, binary: false };
}

/**
 * One request through the operator's pipeline in memory (`Pipeline.handle`, no socket): what the
 * server would answer, content type and CORS headers included.
 */
export async function send(fo: FuzzOperator, r: { method: string; url: string; headers: Record<string, string>; body: Buffer | string | undefined }) {
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, 'utf8');
  const raw = Object.entries({ ...r.headers, 'content-length': String(body.length) }).flat();
  const head = { method: r.method, ...splitTarget(r.url), headers: headHeaders(raw), remoteAddress: '127.0.0.1' };
  const { answer } = await fo.op.pipeline.handle({ ...head, body });
  const headers: Record<string, string> = { 'content-type': answer.contentType };
  const extra = Pipeline.extraHeaders(head, answer);
  for (let i = 0; i < extra.length; i += 2) headers[extra[i].toLowerCase()] = extra[i + 1];
  const rawPayload = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  return { statusCode: answer.statusCode, headers, body: rawPayload.toString('utf8'), rawPayload };
}

/** Generates an identity through the real route and returns its tokens. */
async function issueTokens(fo: FuzzOperator): Promise<{ advertisingToken: string; refreshToken: string }> {
  const req = v2Request(fo, fo.special, '/v2/token/generate', { email: 'validate@example.com' });
  const res = await send(fo, { ...req, headers: { ...req.headers } });
  if (res.statusCode !== 200) throw new Error(`fuzz corpus: generate answered ${res.statusCode}`);
  const body = JSON.parse(decodeResponseEnvelope(fo.special.secret, res.body).json).body;
  return { advertisingToken: body.advertising_token, refreshToken: body.refresh_token };
}

/** One valid request per route and input shape (spec §4 route table). */
export async function captureCorpus(fo: FuzzOperator): Promise<CapturedRequest[]> {
  const tokens = await issueTokens(fo);
  const s = fo.special;
  const dsp = fo.clients.find((c) => c.name === 'DSP') ?? s;
  const emailHash = 'lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=';
  const rawUid = Buffer.alloc(33, 7).toString('base64');
  const corpus: CapturedRequest[] = [
    v2Request(fo, s, '/v2/token/generate', { email: 'user@example.com', optout_check: 1 }),
    v2Request(fo, s, '/v2/token/generate', { phone: '+12345678901' }, true),
    v2Request(fo, s, '/v2/token/generate', { email_hash: emailHash, policy: 1 }),
    v2Request(fo, s, '/v2/token/validate', { token: tokens.advertisingToken, email: 'validate@example.com' }),
    v2Request(fo, s, '/v2/token/logout', { email: 'user@example.com' }),
    v2Request(fo, s, '/v2/identity/map', { email: ['a@b.com', 'test@example.com'], policy: 1 }),
    v2Request(fo, s, '/v2/identity/map', { phone_hash: [emailHash] }, true),
    v2Request(fo, s, '/v3/identity/map', { email: ['a@b.com'], phone: ['+12345678901'], email_hash: [emailHash] }),
    v2Request(fo, s, '/v2/identity/buckets', { since_timestamp: '2022-01-01T00:00:00' }),
    v2Request(fo, s, '/v2/optout/status', { advertising_ids: [rawUid] }),
    v2Request(fo, dsp, '/v2/key/latest', null),
    v2Request(fo, s, '/v2/key/sharing', null),
    v2Request(fo, dsp, '/v2/key/bidstream', null, true),
    refreshRequest(tokens.refreshToken),
    refreshRequest(tokens.refreshToken, s),
    cstgRequest(fo, JSON.stringify({ email_hash: emailHash })),
    { kind: 'plain', method: 'GET', url: '/ops/healthcheck', headers: {}, body: undefined, json: null, client: undefined, binary: false },
  ];
  // Replay each capture once, as a proxy would have seen it: the corpus must be accepted.
  for (const r of corpus) {
    const res = await send(fo, { ...r, headers: { ...r.headers } });
    if (res.statusCode !== 200) throw new Error(`fuzz corpus: ${r.url} answered ${res.statusCode} ${res.body.slice(0, 200)}`);
  }
  return corpus;
}
