/**
 * `/v2/token/generate`, `/v2/token/validate`, `/v2/token/logout` (spec §4.1, §4.2, §4.9), inside
 * the v2 envelope. Each handler reads as: request → identity → tokens → body.
 */
import { decodeAdvertisingToken } from '../../protocol/advertising-token.ts';
import { firstLevelHash } from '../../protocol/first-level-hash.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import { IdentityScope } from '../../protocol/identity-kinds.ts';
import type { Identity } from '../../protocol/identity-input.ts';
import { ClientError, InvalidToken, Messages } from '../errors.ts';
import { callerOf, defineRoute, type RouteInput, type RouteSpec } from '../http/route.ts';
import { v2Envelope, type V2Payload } from '../http/v2-envelope.ts';
import type { StoreView } from '../stores/operator-stores.ts';
import { siteOfKey } from '../stores/key-selection.ts';
import { readIdentityInput, requireIdentity } from '../tokens/identity-request.ts';
import { PrivacyBits, currentRawUidFor, identityBodyJson, issueIdentity } from '../tokens/identity-tokens.ts';
import { recordTokenResponse } from '../tokens/token-metrics.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { checkUserConsent } from '../tokens/user-consent.ts';

function flhOf(view: StoreView, identity: Identity): Buffer {
  return firstLevelHash(identity.hash, view.salts.firstLevelSalt);
}

function optionalString(payload: Record<string, unknown>, field: string): string | undefined {
  const v = payload[field];
  return typeof v === 'string' ? v : undefined;
}

/** `/v2/token/generate` (spec §4.1) for an authenticated GENERATOR: the reply's JSON text. */
function generate({ deps, view, payload: sent, client }: RouteInput<V2Payload>): string {
  const payload = sent ?? {};
  const siteId = client!.siteId;
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
  const flh = flhOf(view, identity);
  if (isOptedOut(view.salts, view.optout, flh, 'generate')) {
    recordTokenResponse(deps, 'generate', siteId, 'optout');
    return '{"status":"optout"}';
  }
  const body = issueIdentity(
    deps,
    view,
    { scope: deps.config.identityScope, type: identity.type, firstLevelHash: flh, siteId, privacyBits: PrivacyBits.serverSide, establishedMs: now },
    now,
  );
  recordTokenResponse(deps, 'generate', siteId, 'success');
  return `{"status":"success","body":${identityBodyJson(body)}}`;
}

/** `/v2/token/validate` (spec §4.2). */
function validate(input: RouteInput<V2Payload>): string {
  const { deps, view } = input;
  const payload = input.payload ?? {};
  const identity = requireIdentity(payload, deps.config.enablePhoneSupport);
  const keys = view.keysetKeys;
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
  const caller = callerOf(input).siteId;
  if (siteOfKey(view.keysets, keys, token.siteKeyId) !== caller && token.siteId !== caller) {
    throw new ClientError(Messages.unauthorisedToValidate);
  }
  const expected = currentRawUidFor(deps, view, flhOf(view, identity), identity.type, deps.clock.now());
  return JSON.stringify({ status: 'success', body: expected.equals(token.rawUid) });
}

/** `/v2/token/logout` (spec §4.9): the opt-out goes to the OptOut service. */
async function logout(input: RouteInput<V2Payload>): Promise<string> {
  const { deps, view, head } = input;
  const payload = input.payload ?? {};
  const parsed = readIdentityInput(payload, deps.config.enablePhoneSupport);
  // Upstream answers invalid_token here, not client_error (spec §4.9); the identity is never echoed.
  if (parsed === null || parsed.identity === null) throw new InvalidToken(Messages.invalidTokenPresented);
  const flh = flhOf(view, parsed.identity);
  const advertisingId = currentRawUidFor(deps, view, flh, parsed.identity.type, deps.clock.now());
  await deps.optOutWriter.write({
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
