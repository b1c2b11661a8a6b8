/**
 * `POST /v2/token/refresh` (spec §4.3): the body is the refresh token as is, auth optional.
 * Its body form: a 388-char body is the refresh envelope, answered with
 * AES-GCM(refresh_response_key, JSON) and no timestamp/nonce; any other body is a bare legacy
 * token answered in plain JSON.
 */
import { isProtocolError } from '../../protocol/errors.ts';
import { REFRESH_ENVELOPE_LENGTH, decodeRefreshEnvelope, encryptRefreshResponse } from '../../protocol/refresh-envelope.ts';
import { decodeRefreshToken, type DecodedRefreshToken } from '../../protocol/refresh-token.ts';
import type { OperatorDeps } from '../deps.ts';
import { ClientError, ExpiredToken, GenericError, InvalidToken, Messages, OperatorError } from '../errors.ts';
import { JSON_CONTENT_TYPE, type Answer } from '../http/answer.ts';
import { isOctetStream } from '../http/request.ts';
import { defineRoute, type BodyForm, type BodyInput, type OpenedBody, type RouteInput, type RouteSpec } from '../http/route.ts';
import { effectiveRuntime } from '../stores/runtime-config-store.ts';
import { identityBodyJson, issueIdentity, type IdentityBody } from '../tokens/identity-tokens.ts';
import { saltsInForce } from '../tokens/salts-in-force.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { apiContactOf, platformTypeOf, recordTokenResponse, siteNameOf } from '../tokens/token-metrics.ts';

/** Tokens established before this are "deprecated" and answered as opted out (spec §4.3). */
const DEPRECATED_BEFORE_MS = Date.UTC(2021, 2, 8, 17, 0, 0);

type RefreshOutcome =
  | { kind: 'refreshed'; body: IdentityBody; siteId: number; createdMs: number }
  | { kind: 'optout'; siteId: number }
  | { kind: 'invalid' }
  | { kind: 'expired'; siteId: number };

/** Upstream `TokenResponseStatsCollector.recordRefresh` statuses. */
const STATUS = { refreshed: 'Success', optout: 'OptOut', invalid: 'InvalidToken', expired: 'ExpiredToken' } as const;

/** Maps envelope decode failures onto the four upstream messages (spec §4.3). */
function envelopeError(err: unknown): OperatorError {
  const code = isProtocolError(err) ? err.code : undefined;
  if (code === 'ERR_BASE64') return new ClientError('Invalid body: Body is not valid base64.');
  if (code === 'ERR_UNKNOWN_KEY') {
    const keyId = (err as { keyId?: unknown }).keyId;
    return new ClientError(`Invalid key: Generator of this token (Key ID: ${typeof keyId === 'number' ? keyId : 'unknown'}) does not exist.`);
  }
  if (code === 'ERR_JSON') return new ClientError('Invalid format: Payload is not valid json or missing required data.');
  return new ClientError('Invalid data: Check encryption method and encryption key.');
}

function decide(input: RouteInput<string>, tokenText: string, nowMs: number): RefreshOutcome {
  const { deps, view, client } = input;
  const keys = view.keysetKeys;
  let token: DecodedRefreshToken;
  try {
    token = decodeRefreshToken(tokenText, (id) => keys.byId.get(id));
  } catch (err) {
    if (isProtocolError(err)) return { kind: 'invalid' };
    throw err;
  }
  // Upstream counts every decoded token, under the caller's site when it sent a key.
  deps.metrics.tokens.refreshTokenReceived(client?.siteId ?? token.siteId, token.version);
  if (token.scope !== deps.config.identityScope) return { kind: 'invalid' };
  const siteId = token.siteId;
  if (token.establishedMs < DEPRECATED_BEFORE_MS) return { kind: 'optout', siteId };
  if (token.expiresMs < nowMs) return { kind: 'expired', siteId };
  if (isOptedOut(saltsInForce(deps, view, nowMs), view.optout, token.firstLevelHash, 'refresh')) return { kind: 'optout', siteId };
  const body = issueIdentity(
    deps,
    view,
    {
      scope: token.scope,
      type: token.type,
      firstLevelHash: token.firstLevelHash,
      siteId,
      privacyBits: token.privacyBits,
      establishedMs: token.establishedMs,
    },
    nowMs,
  );
  return { kind: 'refreshed', body, siteId, createdMs: token.createdMs };
}

/** What upstream records for one refresh answer (token-flow-metrics.ts). */
function recordRefresh(input: RouteInput<string>, outcome: RefreshOutcome, nowMs: number): void {
  const { deps, view, client, head } = input;
  // The metrics site is the caller's when it sent a key, else the token's (upstream `SiteId`).
  const siteId = client?.siteId ?? input.siteId;
  recordTokenResponse(deps, view.sites, 'RefreshV2', siteId, STATUS[outcome.kind], platformTypeOf(head.headers));
  if (outcome.kind !== 'refreshed' || siteId === undefined) return;
  const seconds = Math.floor((nowMs - outcome.createdMs) / 1000);
  const { lifetimes } = effectiveRuntime(deps.config, view.runtimeConfig);
  deps.metrics.tokens.refreshed({
    siteId,
    siteName: siteNameOf(view.sites, siteId),
    apiContact: apiContactOf(client),
    hasOriginHeader: head.headers.origin !== undefined,
    seconds,
    isExpired: seconds > lifetimes.identityExpiresAfterSeconds,
  });
}

/** An opened refresh body: the token text, and the key its reply is sealed with (none for a bare token). */
class RefreshBody implements OpenedBody<string> {
  constructor(
    readonly payload: string,
    private readonly responseKey: Buffer | undefined,
    private readonly binary: boolean,
  ) {}

  seal(json: string | Buffer): Answer {
    if (!this.responseKey) return { statusCode: 200, contentType: JSON_CONTENT_TYPE, body: json };
    const sealed = encryptRefreshResponse(this.responseKey, typeof json === 'string' ? json : json.toString('utf8'));
    return this.binary ? { statusCode: 200, contentType: 'application/octet-stream', body: sealed } : { statusCode: 200, contentType: 'text/plain', body: sealed.toString('base64') };
  }
}

/** The refresh route's body form: the refresh envelope, or a bare legacy token. */
const refreshToken: BodyForm<string> = {
  open({ body, view, head }: BodyInput): RefreshBody {
    const text = body.toString('utf8');
    if (text.length !== REFRESH_ENVELOPE_LENGTH) return new RefreshBody(text, undefined, false);
    try {
      const envelope = decodeRefreshEnvelope(text, (id) => view.keysetKeys.byId.get(id));
      return new RefreshBody(envelope.refreshToken, envelope.responseKey, isOctetStream(head.headers['content-type']));
    } catch (err) {
      throw envelopeError(err);
    }
  },
};

function refresh(input: RouteInput<string>): string {
  const nowMs = input.deps.clock.now();
  const outcome = decide(input, input.payload, nowMs);
  input.siteId = 'siteId' in outcome ? outcome.siteId : undefined;
  recordRefresh(input, outcome, nowMs);
  if (outcome.kind === 'invalid' || outcome.kind === 'expired') {
    // Unauthenticated callers get one generic error for every failure (spec §4.3).
    if (!input.client) throw new GenericError(Messages.errorRefreshingToken);
    throw outcome.kind === 'invalid' ? new InvalidToken(Messages.invalidTokenPresented) : new ExpiredToken(Messages.expiredTokenPresented);
  }
  return outcome.kind === 'refreshed' ? `{"body":${identityBodyJson(outcome.body)},"status":"success"}` : '{"status":"optout"}';
}

export function refreshRoutes(): RouteSpec[] {
  return [defineRoute({ method: 'POST', path: '/v2/token/refresh', auth: 'optional', body: refreshToken, handle: refresh })];
}
