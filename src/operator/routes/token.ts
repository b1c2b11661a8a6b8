/**
 * `/v2/token/generate`, `/v2/token/validate`, `/v2/token/logout` (spec §4.1, §4.2, §4.9), inside
 * the v2 envelope. Each handler reads as: request → identity → tokens → body.
 */
import { decodeAdvertisingToken } from '../../protocol/advertising-token.ts';
import { firstLevelHash } from '../../protocol/first-level-hash.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import { IdentityScope } from '../../protocol/identity-kinds.ts';
import type { Identity } from '../../protocol/identity-input.ts';
import { ClientError, InvalidToken, Messages, NoActiveKey, UnknownError } from '../errors.ts';
import { callerOf, defineRoute, type RouteInput, type RouteSpec } from '../http/route.ts';
import { v2Envelope, type V2Payload } from '../http/v2-envelope.ts';
import { OptOutWriteError, type OptOutRequest } from '../optout/optout-writer.ts';
import { siteOfKey } from '../stores/key-selection.ts';
import { readIdentityInput, requireIdentity } from '../tokens/identity-request.ts';
import { PrivacyBits, currentRawUidFor, identityBodyJson, issueIdentity } from '../tokens/identity-tokens.ts';
import type { TokenValidateResult } from '../metrics/token-flow-metrics.ts';
import { saltsInForce } from '../tokens/salts-in-force.ts';
import { apiContactOf, platformTypeOf, recordTokenResponse, siteNameOf, type TokenResponseStatus } from '../tokens/token-metrics.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { checkUserConsent } from '../tokens/user-consent.ts';

function flhOf(input: RouteInput<V2Payload>, identity: Identity, nowMs: number): Buffer {
  return firstLevelHash(identity.hash, saltsInForce(input.deps, input.view, nowMs).firstLevelSalt);
}

function optionalString(payload: Record<string, unknown>, field: string): string | undefined {
  const v = payload[field];
  return typeof v === 'string' ? v : undefined;
}

/** `/v2/token/generate` (spec §4.1) for an authenticated GENERATOR: the reply's JSON text. */
function generate({ deps, view, payload: sent, client, head }: RouteInput<V2Payload>): string {
  const payload = sent ?? {};
  const siteId = client!.siteId;
  const record = (status: TokenResponseStatus) => recordTokenResponse(deps, view.sites, 'GenerateV2', siteId, status, platformTypeOf(head.headers));
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
  const salts = saltsInForce(deps, view, now);
  const flh = firstLevelHash(identity.hash, salts.firstLevelSalt);
  if (isOptedOut(salts, view.optout, flh, 'generate')) {
    record('OptOut');
    return '{"status":"optout"}';
  }
  let body;
  try {
    body = issueIdentity(
      deps,
      view,
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

/** `/v2/token/validate` (spec §4.2), counted under upstream's `uid2_token_validate_total` results. */
function validate(input: RouteInput<V2Payload>): string {
  const { deps, view } = input;
  const payload = input.payload ?? {};
  const caller = callerOf(input).siteId;
  const result = (r: TokenValidateResult) => deps.metrics.tokens.validated(caller, siteNameOf(view.sites, caller), r);
  let identity;
  try {
    identity = requireIdentity(payload, deps.config.enablePhoneSupport);
  } catch (err) {
    result('invalid_input');
    throw err;
  }
  const keys = view.keysetKeys;
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
  if (siteOfKey(view.keysets, keys, token.siteKeyId) !== caller && token.siteId !== caller) {
    result('unauthorized');
    throw new ClientError(Messages.unauthorisedToValidate);
  }
  const now = deps.clock.now();
  const matches = currentRawUidFor(deps, view, flhOf(input, identity, now), identity.type, now).equals(token.rawUid);
  result(matches ? 'match' : 'mismatch');
  return JSON.stringify({ status: 'success', body: matches });
}

/**
 * Writes a logout's opt-out (spec §10.3). Upstream fails the request with a bare 500 when the
 * OptOut service does not take it (`handleLogoutAsyncV2`: `rc.fail(500)`); here the same HTTP 500 is
 * the catalogue's `unknown` error, counted as `uid2_token_logout_total{status="optout_write_failed"}`.
 */
async function writeOptOut(input: RouteInput<V2Payload>, request: OptOutRequest): Promise<void> {
  const { deps } = input;
  const siteId = callerOf(input).siteId;
  try {
    await deps.optOutWriter.write(request);
  } catch (err) {
    if (!(err instanceof OptOutWriteError)) throw err;
    deps.metrics.tokens.logout(siteId, 'optout_write_failed');
    deps.logger.warn({ reason: err.message }, 'logout: the opt-out service did not take the opt-out');
    throw new UnknownError(Messages.optOutWriteFailed);
  }
  deps.metrics.tokens.logout(siteId, 'success');
}

/** `/v2/token/logout` (spec §4.9): the opt-out goes to the OptOut service. */
async function logout(input: RouteInput<V2Payload>): Promise<string> {
  const { deps, view, head } = input;
  const payload = input.payload ?? {};
  const parsed = readIdentityInput(payload, deps.config.enablePhoneSupport);
  // Upstream answers invalid_token here, not client_error (spec §4.9); the identity is never echoed.
  if (parsed === null || parsed.identity === null) throw new InvalidToken(Messages.invalidTokenPresented);
  const now = deps.clock.now();
  const flh = flhOf(input, parsed.identity, now);
  const advertisingId = currentRawUidFor(deps, view, flh, parsed.identity.type, now);
  await writeOptOut(input, {
    identityHash: flh,
    advertisingId,
    email: optionalString(payload, 'email'),
    phone: optionalString(payload, 'phone'),
    clientIp: optionalString(payload, 'clientIp'),
    traceId: head.headers['uid-trace-id'],
  });
  return '{"status":"success","body":{"optout":"OK"}}';
}

export function tokenRoutes(): RouteSpec[] {
  return [
    defineRoute({ method: 'POST', path: '/v2/token/generate', auth: ['GENERATOR'], body: v2Envelope, handle: generate }),
    defineRoute({ method: 'POST', path: '/v2/token/validate', auth: ['GENERATOR'], body: v2Envelope, handle: validate }),
    defineRoute({ method: 'POST', path: '/v2/token/logout', auth: ['OPTOUT'], body: v2Envelope, handle: logout }),
  ];
}
