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
import { ClientError, InvalidAppName, InvalidHttpOrigin, Messages, NoActiveKey, Unauthorized } from '../errors.ts';
import type { Answer } from '../http/answer.ts';
import { defineRoute, type BodyForm, type BodyInput, type OpenedBody, type RouteInput, type RouteSpec } from '../http/route.ts';
import type { CstgKeypair } from '../stores/cstg-keypair-store.ts';
import { isAppNameAllowed, isOriginAllowed } from '../tokens/cstg-origin.ts';
import { PrivacyBits, issueIdentity } from '../tokens/identity-tokens.ts';
import { saltsInForce } from '../tokens/salts-in-force.ts';
import { isOptedOut } from '../tokens/test-identities.ts';
import { platformTypeOf, recordTokenResponse, type TokenResponseStatus } from '../tokens/token-metrics.ts';

const PATH = '/v2/token/client-generate';

/** Upstream's `TokenResponseStatsCollector.ResponseStatus` of each CSTG client error, by message. */
const STATUS_OF_MESSAGE: Readonly<Record<string, TokenResponseStatus>> = {
  'json payload expected but not found': 'PayloadHasNoBody',
  'json payload is not valid': 'BadJsonPayload',
  'bad subscription_id': 'BadSubscriptionId',
  'required parameters: payload, iv, public_key': 'MissingParams',
  'bad public key': 'BadPublicKey',
  'bad iv': 'BadIV',
  'payload decryption failed': 'BadPayload',
  'encrypted payload contains invalid json': 'BadPayload',
  'phone support not enabled': 'BadPayload',
};

/** What one request learnt, for its metrics and usage line (recorded however it ends). */
interface CstgContext {
  /** Set where the status is not told by the error alone. */
  status: TokenResponseStatus | undefined;
  appName: string | undefined;
}

function statusOf(err: unknown, ctx: CstgContext): TokenResponseStatus | undefined {
  if (ctx.status !== undefined) return ctx.status;
  if (err instanceof InvalidHttpOrigin) return 'InvalidHttpOrigin';
  if (err instanceof InvalidAppName) return 'InvalidAppName';
  if (err instanceof Unauthorized) return 'Unauthorized';
  if (err instanceof NoActiveKey) return 'NoActiveKey';
  // An invalid identifier answers 400 without a status, as upstream's `isTokenInputValid`.
  if (err instanceof ClientError) return err.message === Messages.invalidIdentifier ? undefined : (STATUS_OF_MESSAGE[err.message] ?? 'Unknown');
  return 'Unknown';
}

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

/** An opened CSTG request: its body; the route sets the key (the ECDH secret) its reply is sealed with. */
class CstgBody implements OpenedBody<Buffer> {
  responseKey: Buffer | undefined;

  constructor(readonly payload: Buffer) {}

  seal(json: string | Buffer): Answer {
    if (this.responseKey === undefined) throw new Error('client-generate reply without its key');
    return { statusCode: 200, contentType: 'text/plain', body: encryptCstgResponse(this.responseKey, typeof json === 'string' ? json : json.toString('utf8')) };
  }
}

/**
 * CSTG's body form: JSON (spec §9). The body is parsed by the route, whose metrics count a body
 * that is no JSON object too (`PayloadHasNoBody`, `BadJsonPayload`).
 */
const cstgJson: BodyForm<Buffer> = {
  open: ({ body }: BodyInput) => new CstgBody(body),
};

/** The route: the CSTG steps, with upstream's token-response count and usage line however they end. */
function clientGenerate(input: RouteInput<Buffer>): string {
  const { deps, view, head } = input;
  const ctx: CstgContext = { status: undefined, appName: undefined };
  let status: TokenResponseStatus | undefined;
  try {
    const reply = generate(input, ctx);
    status = reply.status;
    return reply.json;
  } catch (err) {
    status = statusOf(err, ctx);
    throw err;
  } finally {
    const platform = ctx.appName !== undefined ? 'InApp' : platformTypeOf(head.headers);
    if (status !== undefined) recordTokenResponse(deps, view.sites, 'ClientSideTokenGenerateV2', input.siteId, status, platform);
    // Counted per domain or app name (metrics/usage-log.ts); there is no API key, so no contact.
    const usage = deps.metrics.usage;
    usage?.record(PATH, input.siteId, undefined, ctx.appName !== undefined ? usage.appName(ctx.appName) : usage.hostOf(head.headers.origin), undefined);
  }
}

/** The CSTG steps in upstream order: the reply's JSON and its status. */
function generate(input: RouteInput<Buffer>, ctx: CstgContext): { json: string; status: TokenResponseStatus } {
  const { deps, view } = input;
  const req = parseBody(input.payload);
  const subscriptionId = str(req.subscription_id);
  const pair = subscriptionId === undefined ? undefined : view.cstgKeypairs.bySubscriptionId.get(subscriptionId);
  const appName = typeof req.app_name === 'string' ? req.app_name : undefined;
  ctx.appName = appName;
  if (!pair) throw new ClientError('bad subscription_id');
  input.siteId = pair.siteId;
  if (pair.disabled) throw new Unauthorized('Unauthorized');

  if (deps.config.cstgDomainNameCheckEnabled) {
    const site = view.sites.byId.get(pair.siteId);
    if (appName !== undefined) {
      if (!isAppNameAllowed(site, appName)) {
        deps.rejectedOrigins?.rejected(pair.siteId, appName);
        throw new InvalidAppName('unexpected app name');
      }
    } else if (!isOriginAllowed(site, input.head.headers.origin)) {
      deps.rejectedOrigins?.rejected(pair.siteId, input.head.headers.origin);
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
  if (hasEmail === hasPhone) {
    ctx.status = hasEmail ? 'BadPayload' : 'MissingParams';
    throw new ClientError('please provide exactly one of: email_hash, phone_hash');
  }
  if (hasPhone && !deps.config.enablePhoneSupport) throw new ClientError('phone support not enabled');
  const identity = parseIdentity(hasEmail ? 'email_hash' : 'phone_hash', hasEmail ? plain.email_hash : plain.phone_hash);
  if (!identity) throw new ClientError(Messages.invalidIdentifier);

  (input.opened as CstgBody).responseKey = secret;
  const now = deps.clock.now();
  const salts = saltsInForce(deps, view, now);
  const flh = firstLevelHash(identity.hash, salts.firstLevelSalt);
  if (isOptedOut(salts, view.optout, flh, 'generate')) return { json: JSON.stringify({ status: 'optout' }), status: 'OptOut' };
  const body = issueIdentity(
    deps,
    view,
    { scope: deps.config.identityScope, type: identity.type, firstLevelHash: flh, siteId: pair.siteId, privacyBits: PrivacyBits.clientSide, establishedMs: now },
    now,
  );
  return { json: JSON.stringify({ status: 'success', body }), status: 'Success' };
}

export function cstgRoutes(): RouteSpec[] {
  return [defineRoute({ method: 'POST', path: PATH, auth: 'none', body: cstgJson, handle: clientGenerate })];
}
