/**
 * Typed SDK for the operator API (spec §4; docs/openapi.yaml). One method per endpoint; soft
 * outcomes (`optout`, `insufficient_user_consent`) are results, HTTP failures throw
 * `Uid2ClientError`. Imports only `src/protocol` (docs/architecture.md).
 */
import { decodeBase64 } from '../protocol/base64.ts';
import { decryptCstgResponse, encryptCstgRequest } from '../protocol/cstg.ts';
import { decryptRefreshResponse } from '../protocol/refresh-envelope.ts';
import { Uid2ClientError } from './client-error.ts';
import { toHashedIdentity } from './identity-hashing.ts';
import { OperatorTransport, parseEnvelopeJson, successBody, type EnvelopeJson, type RawResponse, type TransportOptions } from './operator-transport.ts';
import { decryptToken, type DecryptedToken } from './token-decryption.ts';
import type {
  Bucket,
  IdentityInput,
  IdentityTokens,
  KeyBidstreamResult,
  KeySharingResult,
  MapV2Result,
  MapV3Input,
  MapV3Result,
  OptoutStatusResult,
  SharedKey,
  TokenResult,
} from './wire-types.ts';

export type Uid2ClientOptions = TransportOptions;

export interface ClientGenerateInput {
  identity: IdentityInput;
  subscriptionId: string;
  /** "UID2-X-L-…" */
  serverPublicKey: string;
  /** Sent as the Origin header; its eTLD+1 must be one of the site's domains (spec §9). */
  origin?: string;
  appName?: string;
}

function tokenResult(json: EnvelopeJson): TokenResult {
  switch (json.status) {
    case 'success':
      return { status: 'success', identity: json.body as IdentityTokens };
    case 'optout':
    case 'insufficient_user_consent':
    case 'expired_token':
      return { status: json.status };
    default:
      throw new Uid2ClientError(200, json.status, undefined);
  }
}

/** Python's isoformat without zone, as upstream parses it (spec §4.7): `YYYY-MM-DDTHH:MM:SS.sss`. */
function sinceTimestamp(since: string | Date | number): string {
  if (typeof since === 'string' && !/[zZ]$|[+-]\d\d:\d\d$/.test(since) && !/^\d+$/.test(since)) return since;
  const date = since instanceof Date ? since : new Date(typeof since === 'string' && /^\d+$/.test(since) ? Number(since) : since);
  if (Number.isNaN(date.getTime())) throw new Uid2ClientError(0, 'client_error', 'invalid since timestamp');
  return date.toISOString().slice(0, -1);
}

export class Uid2Client {
  private readonly transport: OperatorTransport;

  constructor(private readonly options: Uid2ClientOptions) {
    this.transport = new OperatorTransport(options);
  }

  /** POST /v2/token/generate (spec §4.1). */
  async generateToken(identity: IdentityInput, extra: { tcfConsentString?: string } = {}): Promise<TokenResult> {
    const payload = extra.tcfConsentString === undefined ? identity : { ...identity, tcf_consent_string: extra.tcfConsentString };
    return tokenResult(await this.transport.postEnvelope('/v2/token/generate', payload));
  }

  /**
   * POST /v2/token/refresh with the refresh token as is (spec §4.3); the answer to a 388-char token
   * is AES-GCM under `refreshResponseKey` without timestamp/nonce, a legacy token's is plain JSON.
   */
  async refreshToken(refreshToken: string, refreshResponseKey: string): Promise<TokenResult> {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain' };
    if (this.options.apiKey) headers.Authorization = `Bearer ${this.options.apiKey}`;
    const response = await this.transport.post('/v2/token/refresh', refreshToken, headers);
    return tokenResult(parseEnvelopeJson(response.httpStatus, this.decryptRefreshBody(response, refreshResponseKey)));
  }

  private decryptRefreshBody(response: RawResponse, refreshResponseKey: string): string {
    if (response.contentType.startsWith('application/json')) return response.body.toString('utf8');
    try {
      const body = response.contentType === 'application/octet-stream' ? response.body : response.body.toString('latin1').trim();
      return decryptRefreshResponse(decodeBase64(refreshResponseKey), body);
    } catch (err) {
      throw new Uid2ClientError(response.httpStatus, undefined, 'refresh response could not be decrypted', { cause: err });
    }
  }

  /** POST /v2/token/validate (spec §4.2): true when the token carries the identity's current raw UID. */
  async validateToken(token: string, identity: IdentityInput): Promise<boolean> {
    return successBody<boolean>(await this.transport.postEnvelope('/v2/token/validate', { token, ...identity })) === true;
  }

  /** POST /v2/token/logout (spec §4.9). */
  async logout(identity: IdentityInput): Promise<{ optout: string }> {
    return successBody(await this.transport.postEnvelope('/v2/token/logout', identity));
  }

  /** POST /v3/identity/map with a binary envelope, like the Python and Java SDKs (spec §4.6). */
  async mapIdentities(input: MapV3Input): Promise<MapV3Result> {
    return successBody(await this.transport.postEnvelope('/v3/identity/map', input, true));
  }

  /** POST /v2/identity/map (spec §4.5); `input` should hold one identity kind. */
  async mapIdentitiesV2(input: MapV3Input, linkId?: string): Promise<MapV2Result> {
    const payload = linkId === undefined ? input : { ...input, link_id: linkId };
    return successBody(await this.transport.postEnvelope('/v2/identity/map', payload));
  }

  /** POST /v2/identity/buckets (spec §4.7); `since` as a Date, epoch ms or UTC ISO text. */
  async buckets(since: string | Date | number): Promise<Bucket[]> {
    return successBody(await this.transport.postEnvelope('/v2/identity/buckets', { since_timestamp: sinceTimestamp(since) }));
  }

  /** POST /v2/key/sharing (spec §8.3). */
  async keysSharing(): Promise<KeySharingResult> {
    return successBody(await this.transport.postEnvelope('/v2/key/sharing', undefined));
  }

  /** POST /v2/key/bidstream (spec §8.3). */
  async keysBidstream(): Promise<KeyBidstreamResult> {
    return successBody(await this.transport.postEnvelope('/v2/key/bidstream', undefined));
  }

  /** POST /v2/key/latest (legacy, spec §4.10). */
  async keyLatest(): Promise<SharedKey[]> {
    return successBody(await this.transport.postEnvelope('/v2/key/latest', undefined));
  }

  /** POST /v2/optout/status (spec §4.8). */
  async optoutStatus(advertisingIds: string[]): Promise<OptoutStatusResult> {
    return successBody(await this.transport.postEnvelope('/v2/optout/status', { advertising_ids: advertisingIds }));
  }

  /**
   * POST /v2/token/client-generate (spec §9): a fresh P-256 key, ECDH with the server key, the
   * hashed identity encrypted with AAD `[timestamp]`; the answer is decrypted with the same secret.
   */
  async clientGenerate(input: ClientGenerateInput): Promise<TokenResult> {
    const timestampMs = (this.options.now ?? Date.now)();
    const { body, sharedSecret } = encryptCstgRequest({
      serverPublicKey: input.serverPublicKey,
      plaintext: JSON.stringify(toHashedIdentity(input.identity)),
      timestampMs,
      subscriptionId: input.subscriptionId,
      appName: input.appName,
    });
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (input.origin !== undefined) headers.Origin = input.origin;
    const response = await this.transport.post('/v2/token/client-generate', JSON.stringify(body), headers);
    let json: string;
    try {
      json = decryptCstgResponse(sharedSecret, response.body.toString('latin1').trim());
    } catch (err) {
      throw new Uid2ClientError(response.httpStatus, undefined, 'CSTG response could not be decrypted', { cause: err });
    }
    return tokenResult(parseEnvelopeJson(response.httpStatus, json));
  }

  /** Fetches keys (sharing by default) and decrypts `token` with them (spec §7). */
  async decryptToken(token: string, options: { keySource?: 'sharing' | 'bidstream' } = {}): Promise<DecryptedToken> {
    const keys = options.keySource === 'bidstream' ? (await this.keysBidstream()).keys : (await this.keysSharing()).keys;
    try {
      return decryptToken(token, keys);
    } catch (err) {
      throw new Uid2ClientError(0, 'invalid_token', 'token could not be decrypted with the fetched keys', { cause: err });
    }
  }
}

export { Uid2ClientError } from './client-error.ts';
export { decryptToken, keyLookupOf, type DecryptedToken } from './token-decryption.ts';
export type * from './wire-types.ts';
