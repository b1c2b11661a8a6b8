/**
 * `POST /v2/token/client-generate` (spec §9): plain JSON in (no API key, no v2 envelope), checks in
 * upstream order, ECDH with the subscription's keypair, and an answer encrypted with the shared
 * secret (no timestamp/nonce). In the route table only when `client_side_token_generate=true`.
 */
import type { KeyObject } from 'node:crypto';
import { cstgSharedSecret, decryptCstgPayload, encryptCstgResponse, parseCstgPrivateKey } from '../../protocol/cstg.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import { firstLevelHash } from '../../protocol/first-level-hash.ts';
import { parseIdentity } from '../../protocol/identity-input.ts';
import type { OperatorDeps } from '../deps.ts';
import { ClientError, InvalidAppName, InvalidHttpOrigin, Messages, Unauthorized } from '../errors.ts';
import type { Answer } from '../http/answer.ts';
import { defineRoute, type BodyForm, type BodyInput, type OpenedBody, type RouteInput, type RouteSpec } from '../http/route.ts';
import type { CstgKeypair } from '../stores/cstg-keypair-store.ts';
import { isAppNameAllowed, isOriginAllowed } from '../tokens/cstg-origin.ts';
import { PrivacyBits, issueIdentity } from '../tokens/identity-tokens.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { recordTokenResponse } from '../tokens/token-metrics.ts';

/** Parsed private keys, per keypair record (records are immutable snapshot members). */
const privateKeys = new WeakMap<CstgKeypair, KeyObject>();

function privateKeyOf(pair: CstgKeypair): KeyObject {
  let key = privateKeys.get(pair);
  if (!key) {
    key = parseCstgPrivateKey(pair.privateKey);
    privateKeys.set(pair, key);
  }
  return key;
}

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) throw new ClientError('json payload expected but not found');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ClientError('json payload is not valid');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ClientError('json payload is not valid');
  return value as Record<string, unknown>;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function present(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Protocol failures carry the upstream message ("bad public key", "bad iv", ...). */
function asClientError(err: unknown): never {
  if (isProtocolError(err)) throw new ClientError(err.message);
  throw err;
}

/** An opened CSTG request: its JSON object; the route sets the key (the ECDH secret) its reply is sealed with. */
class CstgBody implements OpenedBody<Record<string, unknown>> {
  responseKey: Buffer | undefined;

  constructor(readonly payload: Record<string, unknown>) {}

  seal(json: string | Buffer): Answer {
    if (this.responseKey === undefined) throw new Error('client-generate reply without its key');
    return { statusCode: 200, contentType: 'text/plain', body: encryptCstgResponse(this.responseKey, typeof json === 'string' ? json : json.toString('utf8')) };
  }
}

/** CSTG's body form: a JSON object (spec §9). */
const cstgJson: BodyForm<Record<string, unknown>> = {
  open: ({ body }: BodyInput) => new CstgBody(parseBody(body)),
};

function clientGenerate(input: RouteInput<Record<string, unknown>>): string {
  const { deps, view, payload: req } = input;
  const subscriptionId = str(req.subscription_id);
  const pair = subscriptionId === undefined ? undefined : view.cstgKeypairs.bySubscriptionId.get(subscriptionId);
  if (!pair) throw new ClientError('bad subscription_id');
  input.siteId = pair.siteId;
  if (pair.disabled) throw new Unauthorized('Unauthorized');

  const appName = typeof req.app_name === 'string' ? req.app_name : undefined;
  if (deps.config.cstgDomainNameCheckEnabled) {
    const site = view.sites.byId.get(pair.siteId);
    if (appName !== undefined) {
      if (!isAppNameAllowed(site, appName)) throw new InvalidAppName('unexpected app name');
    } else if (!isOriginAllowed(site, input.head.headers.origin)) {
      throw new InvalidHttpOrigin('unexpected http origin');
    }
  }

  // Only absent (or null) fields are "missing"; an empty string fails its own check (spec §9).
  const payload = present(req.payload);
  const iv = present(req.iv);
  const publicKey = present(req.public_key);
  if (payload === undefined || iv === undefined || publicKey === undefined) throw new ClientError('required parameters: payload, iv, public_key');
  const timestampMs = typeof req.timestamp === 'number' && Number.isSafeInteger(req.timestamp) ? req.timestamp : 0;

  let secret: Buffer;
  let plain: Record<string, unknown>;
  try {
    secret = cstgSharedSecret(privateKeyOf(pair), publicKey);
    plain = decryptCstgPayload(secret, { payload, iv, timestampMs, appName });
  } catch (err) {
    asClientError(err);
  }

  const hasEmail = plain.email_hash !== undefined && plain.email_hash !== null;
  const hasPhone = plain.phone_hash !== undefined && plain.phone_hash !== null;
  if (hasEmail === hasPhone) throw new ClientError('please provide exactly one of: email_hash, phone_hash');
  if (hasPhone && !deps.config.enablePhoneSupport) throw new ClientError('phone support not enabled');
  const identity = parseIdentity(hasEmail ? 'email_hash' : 'phone_hash', hasEmail ? plain.email_hash : plain.phone_hash);
  if (!identity) throw new ClientError(Messages.invalidIdentifier);

  (input.opened as CstgBody).responseKey = secret;
  const now = deps.clock.now();
  const flh = firstLevelHash(identity.hash, view.salts.firstLevelSalt);
  if (isOptedOut(view.salts, view.optout, flh, 'generate')) {
    recordTokenResponse(deps, 'client_side_token_generate', pair.siteId, 'optout');
    return JSON.stringify({ status: 'optout' });
  }
  const body = issueIdentity(
    deps,
    view,
    { scope: deps.config.identityScope, type: identity.type, firstLevelHash: flh, siteId: pair.siteId, privacyBits: PrivacyBits.clientSide, establishedMs: now },
    now,
  );
  recordTokenResponse(deps, 'client_side_token_generate', pair.siteId, 'success');
  return JSON.stringify({ status: 'success', body });
}

export function cstgRoutes(): RouteSpec[] {
  return [defineRoute({ method: 'POST', path: '/v2/token/client-generate', auth: 'none', body: cstgJson, handle: clientGenerate })];
}
