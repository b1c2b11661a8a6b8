/**
 * One request per route and documented answer (docs/openapi.yaml: every status but 500): a
 * success and each error the route documents, built fresh for every send (a v2 envelope is
 * accepted once). `readAnswer` reduces an answer to what must not depend on how the request
 * travelled: status, content type, and the body (exact for errors; for a 200, the decrypted
 * JSON's shape, since every sealed reply has its own IV and token bytes).
 */
import { decryptCstgResponse, encryptCstgRequest } from '../../../src/protocol/cstg.ts';
import { decodeResponseEnvelope, encodeRequestEnvelope } from '../../../src/protocol/envelope-v2.ts';
import { decryptRefreshResponse } from '../../../src/protocol/refresh-envelope.ts';
import type { Reply, SendOptions } from '../../support/http-send.ts';
import { CLIENTS, type TestOperator } from './operator-fixture.ts';

export const CSTG_PUBLIC_KEY = 'UID2-X-L-MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtXJdTSZAYHvoRDWiehMHoWF1BNPuqLs5w2ZHiAZ1IJc7O4/z0ojPTB0V+KYX/wxQK0hxx6kxCvHj335eI/ZQsQ==';
export const CSTG_SUBSCRIPTION = '4WvryDGbR5';
/** A disabled copy of the fixture's keypair, added by the test (401 "Unauthorized"). */
export const DISABLED_SUBSCRIPTION = 'disabledSub';
const EMAIL_HASH = 'lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=';
const NO_ROLE = { key: 'UID2-C-L-127-aHVydH.JlZnVzZWRmYXN0ZW5lbXliYWdpZGVudGl0eWU=', secret: 'c3VpdG9wcG9zaXRlaW1hZ2Vsb29rc2ltcGxlc3RmaXI=' }; // OPTOUT only

export interface Sent {
  readonly request: SendOptions;
  /** How a 200 body is opened. */
  readonly open: (reply: Reply) => unknown;
}

export interface RouteCase {
  readonly path: string;
  readonly status: number;
  readonly name: string;
  build(op: TestOperator, tokens: Tokens): Sent;
}

export interface Tokens {
  readonly advertisingToken: string;
  readonly refreshToken: string;
  readonly refreshResponseKey: string;
}

type Client = { key: string; secret: string };

function v2(op: TestOperator, path: string, payload: unknown, client: Client = CLIENTS.special): Sent {
  const secret = Buffer.from(client.secret, 'base64');
  const body = encodeRequestEnvelope(secret, { nowMs: op.clock.now(), payload: payload === null ? null : JSON.stringify(payload) });
  return {
    request: { method: 'POST', url: path, headers: { authorization: `Bearer ${client.key}`, 'content-type': 'text/plain' }, payload: body.toString('base64') },
    open: (r) => JSON.parse(decodeResponseEnvelope(secret, r.body).json),
  };
}

function raw(path: string, payload: string | Buffer, headers: Record<string, string> = {}): Sent {
  return { request: { method: 'POST', url: path, headers: { 'content-type': 'text/plain', ...headers }, payload }, open: (r) => r.body };
}

const tooLarge = (path: string): RouteCase => ({
  path,
  status: 413,
  name: 'body over 1 MiB',
  build: () => raw(path, Buffer.alloc((1 << 20) + 1, 0x41), { authorization: `Bearer ${CLIENTS.special.key}` }),
});

const badKey = (path: string): RouteCase => ({ path, status: 401, name: 'bad API key', build: () => raw(path, 'abc', { authorization: 'Bearer not-a-key' }) });

const badEnvelope = (path: string): RouteCase => ({ path, status: 400, name: 'not base64', build: () => raw(path, 'not base64!!', { authorization: `Bearer ${CLIENTS.special.key}` }) });

function cstg(op: TestOperator, plaintext: string, subscriptionId = CSTG_SUBSCRIPTION, origin = 'https://www.uidapi.com'): Sent {
  const { body, sharedSecret } = encryptCstgRequest({ serverPublicKey: CSTG_PUBLIC_KEY, plaintext, timestampMs: op.clock.now(), subscriptionId });
  return {
    request: { method: 'POST', url: '/v2/token/client-generate', headers: { 'content-type': 'text/plain;charset=UTF-8', origin }, payload: JSON.stringify(body) },
    open: (r) => JSON.parse(decryptCstgResponse(sharedSecret, r.body)),
  };
}

export const ROUTE_CASES: readonly RouteCase[] = [
  { path: '/v2/token/generate', status: 200, name: 'success', build: (op) => v2(op, '/v2/token/generate', { email: 'user@example.com' }) },
  { path: '/v2/token/generate', status: 400, name: 'no identity', build: (op) => v2(op, '/v2/token/generate', {}) },
  badKey('/v2/token/generate'),
  tooLarge('/v2/token/generate'),
  {
    path: '/v2/token/refresh',
    status: 200,
    name: 'success',
    build: (_op, t) => ({ ...raw('/v2/token/refresh', t.refreshToken), open: (r) => JSON.parse(decryptRefreshResponse(Buffer.from(t.refreshResponseKey, 'base64'), r.body)) }),
  },
  { path: '/v2/token/refresh', status: 400, name: 'unauthenticated bad token', build: () => raw('/v2/token/refresh', 'A'.repeat(20)) },
  tooLarge('/v2/token/refresh'),
  { path: '/v2/token/validate', status: 200, name: 'success', build: (op, t) => v2(op, '/v2/token/validate', { token: t.advertisingToken, email: 'user@example.com' }) },
  { path: '/v2/token/validate', status: 400, name: 'invalid token', build: (op) => v2(op, '/v2/token/validate', { token: 'nope', email: 'user@example.com' }) },
  badKey('/v2/token/validate'),
  tooLarge('/v2/token/validate'),
  { path: '/v2/token/logout', status: 200, name: 'success', build: (op) => v2(op, '/v2/token/logout', { email: 'user@example.com' }, NO_ROLE) },
  { path: '/v2/token/logout', status: 400, name: 'no identity', build: (op) => v2(op, '/v2/token/logout', {}, NO_ROLE) },
  { path: '/v2/token/logout', status: 401, name: 'key without OPTOUT', build: (op) => v2(op, '/v2/token/logout', { email: 'user@example.com' }, CLIENTS.dsp) },
  tooLarge('/v2/token/logout'),
  { path: '/v2/token/client-generate', status: 200, name: 'success', build: (op) => cstg(op, JSON.stringify({ email_hash: EMAIL_HASH })) },
  { path: '/v2/token/client-generate', status: 400, name: 'bad subscription', build: (op) => cstg(op, '{}', 'nope') },
  { path: '/v2/token/client-generate', status: 401, name: 'disabled keypair', build: (op) => cstg(op, '{}', DISABLED_SUBSCRIPTION) },
  { path: '/v2/token/client-generate', status: 403, name: 'origin not allowed', build: (op) => cstg(op, '{}', CSTG_SUBSCRIPTION, 'https://evil.example') },
  tooLarge('/v2/token/client-generate'),
  { path: '/v2/identity/map', status: 200, name: 'success', build: (op) => v2(op, '/v2/identity/map', { email: ['user@example.com', 'bad'] }) },
  { path: '/v2/identity/map', status: 400, name: 'no identity', build: (op) => v2(op, '/v2/identity/map', {}) },
  badKey('/v2/identity/map'),
  tooLarge('/v2/identity/map'),
  { path: '/v3/identity/map', status: 200, name: 'success', build: (op) => v2(op, '/v3/identity/map', { email: ['user@example.com'], phone: ['+12345678901'] }) },
  { path: '/v3/identity/map', status: 400, name: 'unknown key', build: (op) => v2(op, '/v3/identity/map', { link_id: 'x' }) },
  badKey('/v3/identity/map'),
  tooLarge('/v3/identity/map'),
  { path: '/v2/identity/buckets', status: 200, name: 'success', build: (op) => v2(op, '/v2/identity/buckets', { since_timestamp: '2020-01-01T00:00:00' }) },
  { path: '/v2/identity/buckets', status: 400, name: 'missing since', build: (op) => v2(op, '/v2/identity/buckets', {}) },
  badKey('/v2/identity/buckets'),
  tooLarge('/v2/identity/buckets'),
  { path: '/v2/key/latest', status: 200, name: 'success', build: (op) => v2(op, '/v2/key/latest', {}, CLIENTS.dsp) },
  badEnvelope('/v2/key/latest'),
  badKey('/v2/key/latest'),
  tooLarge('/v2/key/latest'),
  { path: '/v2/key/sharing', status: 200, name: 'success', build: (op) => v2(op, '/v2/key/sharing', {}) },
  badEnvelope('/v2/key/sharing'),
  badKey('/v2/key/sharing'),
  tooLarge('/v2/key/sharing'),
  { path: '/v2/key/bidstream', status: 200, name: 'success', build: (op) => v2(op, '/v2/key/bidstream', {}, CLIENTS.dsp) },
  badEnvelope('/v2/key/bidstream'),
  badKey('/v2/key/bidstream'),
  tooLarge('/v2/key/bidstream'),
  { path: '/v2/optout/status', status: 200, name: 'success', build: (op) => v2(op, '/v2/optout/status', { advertising_ids: ['abc'] }) },
  { path: '/v2/optout/status', status: 400, name: 'no ids', build: (op) => v2(op, '/v2/optout/status', {}) },
  badKey('/v2/optout/status'),
  tooLarge('/v2/optout/status'),
  { path: '/ops/healthcheck', status: 200, name: 'healthy', build: () => ({ request: { method: 'GET', url: '/ops/healthcheck' }, open: (r) => r.body }) },
];

/** A JSON value with every string and number replaced by its type (tokens and times vary); `status` and booleans kept. */
function shape(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'boolean' ? value : typeof value;
  if (Array.isArray(value)) return value.map(shape);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, k === 'status' ? v : shape(v)]));
}

/** What must be the same however the request travelled. */
export function readAnswer(sent: Sent, reply: Reply): unknown {
  const type = String(reply.headers['content-type'] ?? '');
  if (reply.statusCode !== 200) return { status: reply.statusCode, type, body: reply.body };
  const opened = sent.open(reply);
  return { status: 200, type, body: typeof opened === 'string' ? opened : shape(opened) };
}

