/**
 * The v2 envelope (spec §3): decrypt the request with the caller's client secret before the
 * handler, encrypt every 200 reply after it. With `enable_v2_encryption=false` the body is plain
 * JSON both ways (spec §3.2). A binary request gets a binary reply with exactly
 * `application/octet-stream` (client-expectations.md).
 *
 * `openV2Request` / `sealV2Response` are the two steps, transport-free: the fastify scope below
 * runs them as hooks for its routes, and the hot routes (hot-route.ts) call them directly.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClientRecord } from '../../auth/index.ts';
import { decodeRequestBody, encodeResponseEnvelope } from '../../protocol/envelope-v2.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import type { OperatorDeps } from '../deps.ts';
import type { V2RequestState } from './request-context.ts';
import { ClientError, Messages } from '../errors.ts';
import { isOctetStream, rawBody } from './raw-body.ts';
import type { ReplayChecker } from './cluster-replay-guard.ts';

function decodePlainJson(body: Buffer): Record<string, unknown> | null {
  if (body.length === 0) return null;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below with the upstream message
  }
  throw new ClientError(Messages.invalidPayload);
}

/**
 * Decrypts and checks a request body for `client`. Synchronous except for the replay check of a
 * cluster worker, which asks the primary: the common single-process case allocates no promise.
 */
export function openV2Request(
  deps: OperatorDeps,
  replayGuard: ReplayChecker,
  client: ClientRecord | undefined,
  body: Buffer,
  contentType: string | undefined,
): V2RequestState | Promise<V2RequestState> {
  if (!deps.config.enableV2Encryption) return { payload: decodePlainJson(body), nonce: undefined, respondBinary: false, secret: undefined };
  const secret = client?.secret;
  // Role-checked routes always have a client here; a missing one is a wiring bug.
  if (!secret) throw new Error('v2 envelope route without an authenticated client');
  let decoded;
  try {
    decoded = decodeRequestBody(body, { binary: isOctetStream(contentType), secret, nowMs: deps.clock.now(), scope: deps.config.identityScope });
  } catch (err) {
    // The protocol layer carries the exact upstream message (spec §3.1).
    if (isProtocolError(err)) throw new ClientError(err.message);
    throw err;
  }
  const state: V2RequestState = { payload: decoded.payload, nonce: decoded.nonce, respondBinary: decoded.respondBinary, secret };
  // Issue 7 hook (security engineer): a nonce already seen in the freshness window is a replay;
  // one guard per operator process, shared through the primary in a cluster (cluster-replay-guard.ts).
  const checked = replayGuard.check(client?.keyId ?? '', decoded.timestampMs, decoded.nonce);
  return checked instanceof Promise ? checked.then(() => state) : state;
}

/** A sealed 200 reply: the envelope as base64 text, or raw bytes for a binary request. */
export interface SealedReply {
  readonly contentType: 'text/plain' | 'application/octet-stream';
  readonly body: string | Buffer;
}

/** Encrypts a 200 reply's JSON for the request `state` came from; `undefined` in plain mode. */
export function sealV2Response(deps: OperatorDeps, state: V2RequestState, json: string | Buffer): SealedReply | undefined {
  if (!state.secret || !state.nonce) return undefined;
  const envelope = encodeResponseEnvelope(state.secret, deps.clock.now(), state.nonce, json);
  return state.respondBinary ? { contentType: 'application/octet-stream', body: envelope } : { contentType: 'text/plain', body: envelope.toString('base64') };
}

/** Registers the envelope hooks on an encapsulated scope: only routes registered inside it see them. */
export function installV2Envelope(app: FastifyInstance, deps: OperatorDeps, replayGuard: ReplayChecker): void {
  // Callback-style hooks, not async: no promise per request on the hot path (issue 6).
  app.addHook('preHandler', (request, _reply, done) => {
    const state = openV2Request(deps, replayGuard, request.client, rawBody(request.body), request.headers['content-type']);
    if (!(state instanceof Promise)) {
      request.v2 = state;
      return done();
    }
    state.then((s) => {
      request.v2 = s;
      done();
    }, done);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const v2 = request.v2;
    if (reply.statusCode !== 200 || !v2) return done(null, payload);
    const json = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload : String(payload);
    const sealed = sealV2Response(deps, v2, json);
    if (!sealed) return done(null, payload);
    reply.header('content-type', sealed.contentType);
    done(null, sealed.body);
  });
}

/** The decrypted JSON object of a v2 request (`{}` for an empty envelope). */
export function v2Payload(request: FastifyRequest): Record<string, unknown> {
  return request.v2?.payload ?? {};
}
