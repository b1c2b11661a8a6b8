/**
 * The v2 envelope as a body form (spec §3): the request is decrypted with the caller's client
 * secret and checked for replay; a 200 reply is encrypted with the same secret and the request's
 * nonce. With `enable_v2_encryption=false` the body is plain JSON both ways (spec §3.2). A binary
 * request gets a binary reply with exactly `application/octet-stream` (client-expectations.md).
 */
import type { ClientRecord } from '../../auth/index.ts';
import { decodeRequestBody, encodeResponseEnvelope, encodeResponseEnvelopeText } from '../../protocol/envelope-v2.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import type { OperatorDeps } from '../deps.ts';
import { ClientError, Messages } from '../errors.ts';
import { JSON_CONTENT_TYPE, type Answer } from './answer.ts';
import type { ReplayChecker } from './replay-guard.ts';
import { isOctetStream } from './request.ts';
import type { BodyForm, BodyInput, OpenedBody } from './route.ts';

/** The decrypted JSON object of a request (null for an empty data envelope). */
export type V2Payload = Record<string, unknown> | null;

function decodePlainJson(body: Buffer): V2Payload {
  if (body.length === 0) return null;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below with the upstream message
  }
  throw new ClientError(Messages.invalidPayload);
}

/** An opened v2 request: its payload, and what sealing its reply needs. */
class V2Body implements OpenedBody<V2Payload> {
  constructor(
    private readonly deps: OperatorDeps,
    readonly payload: V2Payload,
    /** Nonce to echo; undefined when v2 encryption is off. */
    private readonly nonce: Buffer | undefined,
    private readonly secret: Buffer | undefined,
    private readonly respondBinary: boolean,
  ) {}

  /** A 200 reply encrypted for the request: base64 text, or raw bytes for a binary request. */
  seal(json: string | Buffer): Answer {
    if (!this.secret || !this.nonce) return { statusCode: 200, contentType: JSON_CONTENT_TYPE, body: json };
    const now = this.deps.clock.now();
    if (this.respondBinary) return { statusCode: 200, contentType: 'application/octet-stream', body: encodeResponseEnvelope(this.secret, now, this.nonce, json) };
    return { statusCode: 200, contentType: 'text/plain', body: encodeResponseEnvelopeText(this.secret, now, this.nonce, json) };
  }
}

/**
 * Decrypts and checks a request body for `client`. Synchronous unless the replay check is not:
 * the common case allocates no promise.
 */
export function openV2Request(
  deps: OperatorDeps,
  replay: ReplayChecker,
  client: ClientRecord | undefined,
  body: Buffer,
  contentType: string | undefined,
): OpenedBody<V2Payload> | Promise<OpenedBody<V2Payload>> {
  if (!deps.config.enableV2Encryption) return new V2Body(deps, decodePlainJson(body), undefined, undefined, false);
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
  const opened = new V2Body(deps, decoded.payload, decoded.nonce, secret, decoded.respondBinary);
  // Issue 7: a nonce already seen in the freshness window is a replay (replay-guard.ts).
  const checked = replay.check(client.keyId, decoded.timestampMs, decoded.nonce);
  return checked instanceof Promise ? checked.then(() => opened) : opened;
}

/** The body form of every route inside the v2 envelope. */
export const v2Envelope: BodyForm<V2Payload> = {
  open: (i: BodyInput) => openV2Request(i.deps, i.replay, i.client, i.body, i.head.headers['content-type']),
};
