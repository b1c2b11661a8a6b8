/**
 * Issues an identity: advertising token v4 + refresh token v3 wrapped in the 388-char refresh
 * envelope (spec §7, §7.5, §7.6). One pipeline for generate, refresh and CSTG:
 * first-level hash → salt bucket → current raw UID → tokens with the active keys.
 */
import { encodeAdvertisingTokenV4 } from '../../protocol/advertising-token.ts';
import { IdentityEnvironment, type IdentityScope, type IdentityType } from '../../protocol/identity-kinds.ts';
import { currentRawUid, saltRawUid } from '../../protocol/identity-mapping.ts';
import { createRefreshResponseKey, encodeRefreshEnvelope } from '../../protocol/refresh-envelope.ts';
import { encodeRefreshTokenV3 } from '../../protocol/refresh-token.ts';
import { SERVICE_OPERATOR } from '../../protocol/token-fields.ts';
import type { OperatorDeps } from '../deps.ts';
import type { StoreView } from '../stores/operator-stores.ts';
import { NoActiveKey } from '../errors.ts';
import { masterKey, refreshKey, selectSiteKey } from '../stores/key-selection.ts';
import { effectiveRuntime } from '../stores/runtime-config-store.ts';
import { saltLineFor } from '../stores/salt-store.ts';

/** Privacy bits (spec §7.7): bit0 legacy (server-side generate), bit1 client-side generated. */
export const PrivacyBits = { serverSide: 1, clientSide: 3 } as const;

export interface IdentityRequest {
  readonly scope: IdentityScope;
  readonly type: IdentityType;
  readonly firstLevelHash: Buffer;
  /** Publisher site: the API key's site, the CSTG keypair's, or the refresh token's. */
  readonly siteId: number;
  readonly privacyBits: number;
  /** Original generation time, kept across refreshes. */
  readonly establishedMs: number;
}

/** Response body of generate/refresh/CSTG (spec §7.6); times in ms. */
export interface IdentityBody {
  readonly advertising_token: string;
  readonly refresh_token: string;
  readonly identity_expires: number;
  readonly refresh_expires: number;
  readonly refresh_from: number;
  readonly refresh_response_key: string;
}

/**
 * The JSON text of an identity body, byte for byte `JSON.stringify(body)`, written directly: the
 * tokens and the key are base64/base64url and the times integers, so nothing needs escaping
 * (issue 6: the token routes answer one per request).
 */
export function identityBodyJson(b: IdentityBody): string {
  return `{"advertising_token":"${b.advertising_token}","refresh_token":"${b.refresh_token}","identity_expires":${b.identity_expires},"refresh_expires":${b.refresh_expires},"refresh_from":${b.refresh_from},"refresh_response_key":"${b.refresh_response_key}"}`;
}

/** The raw UID a token for `flh` carries now (also used by validate and logout). */
export function currentRawUidFor(deps: OperatorDeps, view: StoreView, flh: Buffer, type: IdentityType, nowMs: number): Buffer {
  const { entries, line } = saltLineFor(view.salts, flh, nowMs);
  // A salt bucket (the common case) is read through the table's accessor: no entry is decoded.
  const salt = entries.currentSalt(line);
  if (salt !== null) {
    deps.metrics.tokens.rawUids(deps.config.identityV3 ? 'v3' : 'v2');
    return saltRawUid(flh, salt, { scope: deps.config.identityScope, type, identityV3: deps.config.identityV3 });
  }
  deps.metrics.tokens.rawUids('v4');
  const runtime = effectiveRuntime(deps.config, view.runtimeConfig);
  return currentRawUid(flh, entries.at(line), {
    scope: deps.config.identityScope,
    type,
    environment: IdentityEnvironment[runtime.identityEnvironment],
    identityV3: deps.config.identityV3,
  });
}

/** Issues the tokens of `req` from the request's store view. */
export function issueIdentity(deps: OperatorDeps, view: StoreView, req: IdentityRequest, nowMs: number): IdentityBody {
  const { lifetimes } = effectiveRuntime(deps.config, view.runtimeConfig);
  const keys = view.keysetKeys;
  const master = masterKey(keys, nowMs);
  const site = selectSiteKey(view.keysets, keys, req.siteId, nowMs);
  deps.metrics.siteKeysetStatusBy.get(site.status).inc();
  const refresh = refreshKey(keys, nowMs);
  if (!master || !site.key || !refresh) throw new NoActiveKey();

  const rawUid = currentRawUidFor(deps, view, req.firstLevelHash, req.type, nowMs);
  const publisher = { siteId: req.siteId, publisherId: 0, clientKeyId: 0 };
  const identityExpires = nowMs + lifetimes.identityExpiresAfterSeconds * 1000;
  const refreshExpires = nowMs + lifetimes.refreshExpiresAfterSeconds * 1000;
  const advertisingToken = encodeAdvertisingTokenV4(
    {
      scope: req.scope,
      type: req.type,
      expiresMs: identityExpires,
      createdMs: nowMs,
      operator: SERVICE_OPERATOR,
      ...publisher,
      privacyBits: req.privacyBits,
      establishedMs: req.establishedMs,
      refreshedMs: nowMs,
      rawUid,
    },
    master,
    site.key,
  );
  const refreshToken = encodeRefreshTokenV3(
    {
      scope: req.scope,
      type: req.type,
      expiresMs: refreshExpires,
      createdMs: nowMs,
      operator: SERVICE_OPERATOR,
      ...publisher,
      privacyBits: req.privacyBits,
      establishedMs: req.establishedMs,
      firstLevelHash: req.firstLevelHash,
    },
    refresh,
  );
  deps.metrics.tokens.refreshTokenServed(req.siteId);
  const responseKey = createRefreshResponseKey();
  return {
    advertising_token: advertisingToken,
    refresh_token: encodeRefreshEnvelope({ scope: req.scope, key: refresh, refreshToken, responseKey }),
    identity_expires: identityExpires,
    refresh_expires: refreshExpires,
    refresh_from: nowMs + lifetimes.refreshIdentityAfterSeconds * 1000,
    refresh_response_key: responseKey.toString('base64'),
  };
}
