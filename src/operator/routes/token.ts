/**
 * `/v2/token/generate`, `/v2/token/validate`, `/v2/token/logout` (spec §4.1, §4.2, §4.9). Each
 * handler reads as: request → identity → tokens → body. Generate is a hot route (issue 6); validate
 * and logout are registered inside the fastify v2 envelope scope.
 */
import type { FastifyInstance } from 'fastify';
import { decodeAdvertisingToken } from '../../protocol/advertising-token.ts';
import { firstLevelHash } from '../../protocol/first-level-hash.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import { IdentityScope } from '../../protocol/identity-kinds.ts';
import type { Identity } from '../../protocol/identity-input.ts';
import type { OperatorDeps } from '../deps.ts';
import { ClientError, InvalidToken, Messages, UnknownError } from '../errors.ts';
import type { ReplayChecker } from '../http/cluster-replay-guard.ts';
import { v2HotRoute, type HotRoute } from '../http/hot-route.ts';
import { requireRole } from '../http/role-check.ts';
import { v2Payload } from '../http/v2-envelope.ts';
import { OptOutWriteError, type OptOutRequest } from '../optout/optout-writer.ts';
import { siteOfKey } from '../stores/key-selection.ts';
import { readIdentityInput, requireIdentity } from '../tokens/identity-request.ts';
import { PrivacyBits, currentRawUidFor, identityBodyJson, issueIdentity } from '../tokens/identity-tokens.ts';
import { recordTokenResponse } from '../tokens/token-metrics.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { checkUserConsent } from '../tokens/user-consent.ts';

function flhOf(deps: OperatorDeps, identity: Identity): Buffer {
  return firstLevelHash(identity.hash, deps.stores.salts.current().firstLevelSalt);
}

function optionalString(payload: Record<string, unknown>, field: string): string | undefined {
  const v = payload[field];
  return typeof v === 'string' ? v : undefined;
}

/** `/v2/token/generate` (spec §4.1) on the decrypted payload of an authenticated GENERATOR: the reply's JSON text. */
function generate(deps: OperatorDeps, payload: Record<string, unknown>, siteId: number): string {
  const identity = requireIdentity(payload, deps.config.enablePhoneSupport);
  // EUID only: a consent string, when sent, must grant the required purposes (spec §4.1). A key
  // sent as null counts as sent and empty (upstream `containsKey`), so it is invalid, not skipped.
  if (deps.config.identityScope === IdentityScope.EUID && 'tcf_consent_string' in payload) {
    const consent = checkUserConsent(payload.tcf_consent_string, deps.config.tcfVendorId);
    if (consent === 'invalid') throw new ClientError(Messages.userConsentInvalid);
    if (consent === 'insufficient') {
      recordTokenResponse(deps, 'generate', siteId, 'insufficient_user_consent');
      return '{"status":"insufficient_user_consent"}';
    }
  }
  const now = deps.clock.now();
  // One salt snapshot for the first-level hash and the opt-out check (style: read a ref once).
  const salts = deps.stores.salts.current();
  const flh = firstLevelHash(identity.hash, salts.firstLevelSalt);
  if (isOptedOut(salts, deps.stores.optout.current(), flh, 'generate')) {
    recordTokenResponse(deps, 'generate', siteId, 'optout');
    return '{"status":"optout"}';
  }
  const body = issueIdentity(
    deps,
    { scope: deps.config.identityScope, type: identity.type, firstLevelHash: flh, siteId, privacyBits: PrivacyBits.serverSide, establishedMs: now },
    now,
  );
  recordTokenResponse(deps, 'generate', siteId, 'success');
  return `{"status":"success","body":${identityBodyJson(body)}}`;
}

/**
 * Writes a logout's opt-out (spec §10.3). Upstream fails the request with a bare 500 when the
 * OptOut service does not take it (`handleLogoutAsyncV2`: `rc.fail(500)`); here the same HTTP 500 is
 * the catalogue's `unknown` error, counted as `token_response_status="optout_write_failed"`.
 */
async function writeOptOut(deps: OperatorDeps, request: OptOutRequest, siteId: number): Promise<void> {
  try {
    await deps.optOutWriter.write(request);
  } catch (err) {
    if (!(err instanceof OptOutWriteError)) throw err;
    recordTokenResponse(deps, 'logout', siteId, 'optout_write_failed');
    deps.logger.warn({ reason: err.message }, 'logout: the opt-out service did not take the opt-out');
    throw new UnknownError(Messages.optOutWriteFailed);
  }
  recordTokenResponse(deps, 'logout', siteId, 'success');
}

/** Generate as a hot route (hot-route.ts, issue 6): one function for fastify and the fast front. */
export function generateRoute(deps: OperatorDeps, replayGuard: ReplayChecker): HotRoute {
  return v2HotRoute(deps, replayGuard, '/v2/token/generate', ['GENERATOR'], (payload, client) => generate(deps, payload, client.siteId));
}

/** Validate and logout, inside the fastify v2 envelope scope. */
export async function tokenRoutes(app: FastifyInstance, deps: OperatorDeps): Promise<void> {
  app.post('/v2/token/validate', { onRequest: requireRole(deps, 'GENERATOR') }, async (request) => {
    const payload = v2Payload(request);
    const identity = requireIdentity(payload, deps.config.enablePhoneSupport);
    const keys = deps.stores.keysetKeys.current();
    let token;
    try {
      const text = payload.token;
      if (typeof text !== 'string') throw new ClientError(Messages.invalidToken);
      token = decodeAdvertisingToken(text, (id) => keys.byId.get(id));
    } catch (err) {
      if (isProtocolError(err) || err instanceof ClientError) throw new ClientError(Messages.invalidToken);
      throw err;
    }
    // Only the site that owns the token's site key may validate it (spec §4.2). A site without its
    // own keyset gets tokens under site 2's fallback key (§8.2), so the token's publisher site is
    // accepted too; otherwise such sites could never validate their own tokens.
    const caller = request.client!.siteId;
    if (siteOfKey(deps.stores.keysets.current(), keys, token.siteKeyId) !== caller && token.siteId !== caller) {
      throw new ClientError(Messages.unauthorisedToValidate);
    }
    const expected = currentRawUidFor(deps, flhOf(deps, identity), identity.type, deps.clock.now());
    return { status: 'success', body: expected.equals(token.rawUid) };
  });

  app.post('/v2/token/logout', { onRequest: requireRole(deps, 'OPTOUT') }, async (request) => {
    const payload = v2Payload(request);
    const input = readIdentityInput(payload, deps.config.enablePhoneSupport);
    // Upstream answers invalid_token here, not client_error (spec §4.9); the identity is never echoed.
    if (input === null || input.identity === null) throw new InvalidToken(Messages.invalidTokenPresented);
    const flh = flhOf(deps, input.identity);
    const advertisingId = currentRawUidFor(deps, flh, input.identity.type, deps.clock.now());
    const traceId = request.headers['uid-trace-id'];
    const optOut: OptOutRequest = {
      identityHash: flh,
      advertisingId,
      email: optionalString(payload, 'email'),
      phone: optionalString(payload, 'phone'),
      clientIp: optionalString(payload, 'clientIp'),
      traceId: typeof traceId === 'string' ? traceId : undefined,
    };
    await writeOptOut(deps, optOut, request.client!.siteId);
    return { status: 'success', body: { optout: 'OK' } };
  });
}
