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
import type { ClientRecord } from '../../auth/index.ts';
import { ClientError, InvalidToken, Messages, NoActiveKey } from '../errors.ts';
import type { ReplayChecker } from '../http/cluster-replay-guard.ts';
import { v2HotRoute, type HotRoute } from '../http/hot-route.ts';
import { requireRole } from '../http/role-check.ts';
import { v2Payload } from '../http/v2-envelope.ts';
import { siteOfKey } from '../stores/key-selection.ts';
import { readIdentityInput, requireIdentity } from '../tokens/identity-request.ts';
import { PrivacyBits, currentRawUidFor, identityBodyJson, issueIdentity } from '../tokens/identity-tokens.ts';
import type { TokenValidateResult } from '../metrics/token-flow-metrics.ts';
import { saltsInForce } from '../tokens/salts-in-force.ts';
import { apiContactOf, recordTokenResponse, siteNameOf, type TokenResponseStatus } from '../tokens/token-metrics.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { checkUserConsent } from '../tokens/user-consent.ts';

function flhOf(deps: OperatorDeps, identity: Identity, nowMs: number): Buffer {
  return firstLevelHash(identity.hash, saltsInForce(deps, nowMs).firstLevelSalt);
}

function optionalString(payload: Record<string, unknown>, field: string): string | undefined {
  const v = payload[field];
  return typeof v === 'string' ? v : undefined;
}

/**
 * `/v2/token/generate` (spec §4.1) on the decrypted payload of an authenticated GENERATOR: the
 * reply's JSON text. The v2 route hands no headers over, so its platform type is `Other`.
 */
function generate(deps: OperatorDeps, payload: Record<string, unknown>, client: ClientRecord): string {
  const siteId = client.siteId;
  const record = (status: TokenResponseStatus) => recordTokenResponse(deps, 'GenerateV2', siteId, status, 'Other');
  const identity = requireIdentity(payload, deps.config.enablePhoneSupport);
  // EUID only: a consent string, when sent, must grant the required purposes (spec §4.1). A key
  // sent as null counts as sent and empty (upstream `containsKey`), so it is invalid, not skipped.
  if (deps.config.identityScope === IdentityScope.EUID && 'tcf_consent_string' in payload) {
    deps.metrics.tokens.tcfConsentSent(apiContactOf(client));
    const consent = checkUserConsent(payload.tcf_consent_string, deps.config.tcfVendorId);
    if (consent === 'invalid') {
      record('InvalidUserConsentString');
      throw new ClientError(Messages.userConsentInvalid);
    }
    if (consent === 'insufficient') {
      record('InsufficientUserConsent');
      return '{"status":"insufficient_user_consent"}';
    }
  }
  const now = deps.clock.now();
  // One salt snapshot for the first-level hash and the opt-out check (style: read a ref once).
  const salts = saltsInForce(deps, now);
  const flh = firstLevelHash(identity.hash, salts.firstLevelSalt);
  if (isOptedOut(salts, deps.stores.optout.current(), flh, 'generate')) {
    record('OptOut');
    return '{"status":"optout"}';
  }
  let body;
  try {
    body = issueIdentity(
      deps,
      { scope: deps.config.identityScope, type: identity.type, firstLevelHash: flh, siteId, privacyBits: PrivacyBits.serverSide, establishedMs: now },
      now,
    );
  } catch (err) {
    if (err instanceof NoActiveKey) record('NoActiveKey');
    throw err;
  }
  record('Success');
  return `{"status":"success","body":${identityBodyJson(body)}}`;
}

/** Generate as a hot route (hot-route.ts, issue 6): one function for fastify and the fast front. */
export function generateRoute(deps: OperatorDeps, replayGuard: ReplayChecker): HotRoute {
  return v2HotRoute(deps, replayGuard, '/v2/token/generate', ['GENERATOR'], (payload, client) => generate(deps, payload, client));
}

/** Validate's answer, counted under upstream's `uid2_token_validate_total` results. */
function validate(deps: OperatorDeps, payload: Record<string, unknown>, caller: number): { status: 'success'; body: boolean } {
  const result = (r: TokenValidateResult) => deps.metrics.tokens.validated(caller, siteNameOf(deps, caller), r);
  let identity;
  try {
    identity = requireIdentity(payload, deps.config.enablePhoneSupport);
  } catch (err) {
    result('invalid_input');
    throw err;
  }
  const keys = deps.stores.keysetKeys.current();
  let token;
  try {
    const text = payload.token;
    if (typeof text !== 'string') throw new ClientError(Messages.invalidToken);
    token = decodeAdvertisingToken(text, (id) => keys.byId.get(id));
  } catch (err) {
    if (isProtocolError(err) || err instanceof ClientError) {
      result('invalid_token');
      throw new ClientError(Messages.invalidToken);
    }
    result('error');
    throw err;
  }
  // Only the site that owns the token's site key may validate it (spec §4.2). A site without its
  // own keyset gets tokens under site 2's fallback key (§8.2), so the token's publisher site is
  // accepted too; otherwise such sites could never validate their own tokens.
  if (siteOfKey(deps.stores.keysets.current(), keys, token.siteKeyId) !== caller && token.siteId !== caller) {
    result('unauthorized');
    throw new ClientError(Messages.unauthorisedToValidate);
  }
  const now = deps.clock.now();
  const matches = currentRawUidFor(deps, flhOf(deps, identity, now), identity.type, now).equals(token.rawUid);
  result(matches ? 'match' : 'mismatch');
  return { status: 'success', body: matches };
}

/** Validate and logout, inside the fastify v2 envelope scope. */
export async function tokenRoutes(app: FastifyInstance, deps: OperatorDeps): Promise<void> {
  app.post('/v2/token/validate', { onRequest: requireRole(deps, 'GENERATOR') }, async (request) =>
    validate(deps, v2Payload(request), request.client!.siteId),
  );

  app.post('/v2/token/logout', { onRequest: requireRole(deps, 'OPTOUT') }, async (request) => {
    const payload = v2Payload(request);
    const input = readIdentityInput(payload, deps.config.enablePhoneSupport);
    // Upstream answers invalid_token here, not client_error (spec §4.9); the identity is never echoed.
    if (input === null || input.identity === null) throw new InvalidToken(Messages.invalidTokenPresented);
    const now = deps.clock.now();
    const flh = flhOf(deps, input.identity, now);
    const advertisingId = currentRawUidFor(deps, flh, input.identity.type, now);
    const traceId = request.headers['uid-trace-id'];
    await deps.optOutWriter.write({
      identityHash: flh,
      advertisingId,
      email: optionalString(payload, 'email'),
      phone: optionalString(payload, 'phone'),
      clientIp: optionalString(payload, 'clientIp'),
      traceId: typeof traceId === 'string' ? traceId : undefined,
    });
    return { status: 'success', body: { optout: 'OK' } };
  });
}
