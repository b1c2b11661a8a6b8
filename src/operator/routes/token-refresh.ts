/**
 * `POST /v2/token/refresh` (spec §4.3): the body is the refresh token as is, auth optional.
 * A hot route (issue 6): one function for fastify and the fast front.
 * A 388-char body is the refresh envelope, answered with AES-GCM(refresh_response_key, JSON) and
 * no timestamp/nonce; any other body is a bare legacy token answered in plain JSON.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isProtocolError } from '../../protocol/errors.ts';
import { REFRESH_ENVELOPE_LENGTH, decodeRefreshEnvelope, encryptRefreshResponse } from '../../protocol/refresh-envelope.ts';
import { decodeRefreshToken, type DecodedRefreshToken } from '../../protocol/refresh-token.ts';
import type { OperatorDeps } from '../deps.ts';
import { ClientError, ExpiredToken, GenericError, InvalidToken, Messages, OperatorError } from '../errors.ts';
import { JSON_CONTENT_TYPE } from '../http/error-handler.ts';
import type { Exchange, HotRoute } from '../http/hot-route.ts';
import { isOctetStream } from '../http/raw-body.ts';
import { identityBodyJson, issueIdentity, type IdentityBody } from '../tokens/identity-tokens.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { effectiveRuntime } from '../stores/runtime-config-store.ts';
import { saltsInForce } from '../tokens/salts-in-force.ts';
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

function decide(deps: OperatorDeps, tokenText: string, nowMs: number, client: Exchange['client']): RefreshOutcome {
  const keys = deps.stores.keysetKeys.current();
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
  if (isOptedOut(saltsInForce(deps, nowMs), deps.stores.optout.current(), token.firstLevelHash, 'refresh')) return { kind: 'optout', siteId };
  const body = issueIdentity(
    deps,
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
function recordRefresh(deps: OperatorDeps, exchange: Exchange, outcome: RefreshOutcome, nowMs: number): void {
  const headers = exchange.headers as Partial<IncomingHttpHeaders>;
  // The metrics site is the caller's when it sent a key, else the token's (upstream `SiteId`).
  const siteId = exchange.client?.siteId ?? exchange.siteId;
  recordTokenResponse(deps, 'RefreshV2', siteId, STATUS[outcome.kind], platformTypeOf(headers));
  if (outcome.kind !== 'refreshed' || siteId === undefined) return;
  const seconds = Math.floor((nowMs - outcome.createdMs) / 1000);
  const { lifetimes } = effectiveRuntime(deps.config, deps.stores.runtimeConfig.peek());
  deps.metrics.tokens.refreshed({
    siteId,
    siteName: siteNameOf(deps, siteId),
    apiContact: apiContactOf(exchange.client),
    hasOriginHeader: headers.origin !== undefined,
    seconds,
    isExpired: seconds > lifetimes.identityExpiresAfterSeconds,
  });
}

/** The route as a hot route (hot-route.ts): served by fastify and by the fast front alike. */
export function refreshRoute(deps: OperatorDeps): HotRoute {
  return {
    url: '/v2/token/refresh',
    auth: 'optional',
    handle(exchange) {
      const text = exchange.body.toString('utf8');
      let tokenText = text;
      let responseKey: Buffer | undefined;
      if (text.length === REFRESH_ENVELOPE_LENGTH) {
        try {
          const envelope = decodeRefreshEnvelope(text, (id) => deps.stores.keysetKeys.current().byId.get(id));
          tokenText = envelope.refreshToken;
          responseKey = envelope.responseKey;
        } catch (err) {
          throw envelopeError(err);
        }
      }
      const nowMs = deps.clock.now();
      const outcome = decide(deps, tokenText, nowMs, exchange.client);
      exchange.siteId = 'siteId' in outcome ? outcome.siteId : undefined;
      recordRefresh(deps, exchange, outcome, nowMs);
      if (outcome.kind === 'invalid' || outcome.kind === 'expired') {
        // Unauthenticated callers get one generic error for every failure (spec §4.3).
        if (!exchange.client) throw new GenericError(Messages.errorRefreshingToken);
        throw outcome.kind === 'invalid' ? new InvalidToken(Messages.invalidTokenPresented) : new ExpiredToken(Messages.expiredTokenPresented);
      }
      const json = outcome.kind === 'refreshed' ? `{"body":${identityBodyJson(outcome.body)},"status":"success"}` : '{"status":"optout"}';
      if (!responseKey) return { statusCode: 200, contentType: JSON_CONTENT_TYPE, body: json };
      const sealed = encryptRefreshResponse(responseKey, json);
      if (isOctetStream(exchange.headers['content-type'])) return { statusCode: 200, contentType: 'application/octet-stream', body: sealed };
      return { statusCode: 200, contentType: 'text/plain', body: sealed.toString('base64') };
    },
  };
}
