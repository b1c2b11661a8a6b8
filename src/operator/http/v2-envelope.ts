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

async function decodeEnvelope(request: FastifyRequest, deps: OperatorDeps, replayGuard: ReplayChecker) {
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
  // Issue 7 hook (security engineer): a nonce already seen in the freshness window is a replay;
  // one guard per cluster (cluster-replay-guard.ts).
  await replayGuard.check(request.client?.keyId ?? '', decoded.timestampMs, decoded.nonce);
  return { payload: decoded.payload, nonce: decoded.nonce, respondBinary: decoded.respondBinary, secret };
}

export function installV2Envelope(app: FastifyInstance, deps: OperatorDeps): void {
  const replayGuard = createReplayChecker(() => deps.clock.now());
  app.addHook('preHandler', async (request) => {
    request.v2 = deps.config.enableV2Encryption
      ? await decodeEnvelope(request, deps, replayGuard)
      : { payload: decodePlainJson(rawBody(request.body)), nonce: undefined, respondBinary: false, secret: undefined };
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const v2 = request.v2;
    if (reply.statusCode !== 200 || !v2?.secret || !v2.nonce) return payload;
    const json = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload : String(payload);
    const envelope = encodeResponseEnvelope(v2.secret, deps.clock.now(), v2.nonce, json);
    if (v2.respondBinary) {
      reply.header('content-type', 'application/octet-stream');
      return envelope;
    }
    reply.header('content-type', 'text/plain');
    return envelope.toString('base64');
  });
}

/** The decrypted JSON object of a v2 request (`{}` for an empty envelope). */
export function v2Payload(request: FastifyRequest): Record<string, unknown> {
  return request.v2?.payload ?? {};
}
