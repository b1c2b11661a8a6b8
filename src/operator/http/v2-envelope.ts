/**
 * The v2 envelope as an encapsulated plugin (spec §3): its hooks decrypt the request with the
 * caller's client secret before the handler and encrypt every 200 reply after it. Only route
 * plugins registered inside this scope see it. With `enable_v2_encryption=false` the body is
 * plain JSON both ways (spec §3.2). A binary request gets a binary reply with exactly
 * `application/octet-stream` (client-expectations.md).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decodeRequestBody, encodeResponseEnvelope } from '../../protocol/envelope-v2.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import type { OperatorDeps } from '../deps.ts';
import type { V2RequestState } from './request-context.ts';
import { ClientError, Messages } from '../errors.ts';
import { isOctetStream, rawBody } from './raw-body.ts';
import { createReplayChecker, type ReplayChecker } from './cluster-replay-guard.ts';

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
 * Decrypts and checks the envelope. Synchronous except for the replay check of a cluster worker,
 * which asks the primary: the common single-process case allocates no promise (issue 6).
 */
function decodeEnvelope(request: FastifyRequest, deps: OperatorDeps, replayGuard: ReplayChecker): V2RequestState | Promise<V2RequestState> {
  const secret = request.client?.secret;
  // Role-checked routes always have a client here; a missing one is a wiring bug.
  if (!secret) throw new Error('v2 envelope route without an authenticated client');
  let decoded;
  try {
    decoded = decodeRequestBody(rawBody(request.body), {
      binary: isOctetStream(request.headers['content-type']),
      secret,
      nowMs: deps.clock.now(),
      scope: deps.config.identityScope,
    });
  } catch (err) {
    // The protocol layer carries the exact upstream message (spec §3.1).
    if (isProtocolError(err)) throw new ClientError(err.message);
    throw err;
  }
  const state: V2RequestState = { payload: decoded.payload, nonce: decoded.nonce, respondBinary: decoded.respondBinary, secret };
  // Issue 7 hook (security engineer): a nonce already seen in the freshness window is a replay;
  // one guard per cluster (cluster-replay-guard.ts).
  const checked = replayGuard.check(request.client?.keyId ?? '', decoded.timestampMs, decoded.nonce);
  return checked instanceof Promise ? checked.then(() => state) : state;
}

export function installV2Envelope(app: FastifyInstance, deps: OperatorDeps): void {
  const replayGuard = createReplayChecker(() => deps.clock.now());
  // Callback-style hooks, not async: no promise per request on the hot path (issue 6).
  app.addHook('preHandler', (request, _reply, done) => {
    if (!deps.config.enableV2Encryption) {
      request.v2 = { payload: decodePlainJson(rawBody(request.body)), nonce: undefined, respondBinary: false, secret: undefined };
      return done();
    }
    const state = decodeEnvelope(request, deps, replayGuard);
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
    if (reply.statusCode !== 200 || !v2?.secret || !v2.nonce) return done(null, payload);
    const json = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload : String(payload);
    const envelope = encodeResponseEnvelope(v2.secret, deps.clock.now(), v2.nonce, json);
    if (v2.respondBinary) {
      reply.header('content-type', 'application/octet-stream');
      return done(null, envelope);
    }
    reply.header('content-type', 'text/plain');
    done(null, envelope.toString('base64'));
  });
}

/** The decrypted JSON object of a v2 request (`{}` for an empty envelope). */
export function v2Payload(request: FastifyRequest): Record<string, unknown> {
  return request.v2?.payload ?? {};
}
