/**
 * Bodies of `/v2/key/latest`, `/v2/key/sharing` and `/v2/key/bidstream` (spec §4.10, §8.3;
 * upstream `handleKeysSharing`, `handleKeysBidstream`, `KeysetSnapshot.canClientAccessKey`).
 *
 * Which keys a caller gets (sorted by key id, expired keys included, refresh keyset never):
 * | key's keyset                                   | returned                     |
 * | master (−1)                                    | always                       |
 * | missing or disabled                            | never                        |
 * | same site as the caller                        | yes                          |
 * | allowed_sites == null                          | only to ID_READER callers    |
 * | caller site in allowed_sites                   | yes                          |
 * Numbers the SDKs depend on: master keyset id 9999999, `token_expiry_seconds` as a STRING, and
 * +10 s (`TOKEN_LIFETIME_TOLERANCE`) on both max lifetimes.
 */
import type { ClientRecord } from '../../auth/index.ts';
import { scopeName } from '../../protocol/identity-kinds.ts';
import type { OperatorConfig, TokenLifetimes } from '../config/operator-config.ts';
import { defaultKeyset } from '../stores/key-selection.ts';
import { MASTER_KEYSET_ID, REFRESH_KEYSET_ID, type KeysetKey, type KeysetKeySnapshot, type KeysetSnapshot } from '../stores/keyset-store.ts';
import type { SiteSnapshot } from '../stores/site-store.ts';

export const MASTER_KEYSET_ID_FOR_SDKS = 9_999_999;
export const TOKEN_LIFETIME_TOLERANCE_SECONDS = 10;

/** One view of the stores for a key response. */
export interface KeyView {
  readonly config: OperatorConfig;
  readonly lifetimes: TokenLifetimes;
  readonly keysets: KeysetSnapshot;
  readonly keys: KeysetKeySnapshot;
  readonly sites: SiteSnapshot;
}

interface KeyJson {
  id: number;
  created: number;
  activates: number;
  expires: number;
  secret: string;
  keyset_id?: number;
  site_id?: number;
}

function keyJson(k: KeysetKey): KeyJson {
  return { id: k.id, created: k.created, activates: k.activates, expires: k.expires, secret: k.secret.toString('base64') };
}

export function accessibleKeys(view: KeyView, client: ClientRecord): KeysetKey[] {
  const allowAllWhenNoAcl = client.roles.has('ID_READER');
  return view.keys.all.filter((k) => {
    if (k.keysetId === REFRESH_KEYSET_ID) return false;
    if (k.keysetId === MASTER_KEYSET_ID) return true;
    const keyset = view.keysets.byId.get(k.keysetId);
    if (!keyset || !keyset.enabled) return false;
    if (keyset.siteId === client.siteId) return true;
    if (keyset.allowedSites === null) return allowAllWhenNoAcl;
    return keyset.allowedSites.includes(client.siteId);
  });
}

function siteOf(view: KeyView, key: KeysetKey): number | undefined {
  return view.keysets.byId.get(key.keysetId)?.siteId;
}

/** `site_data`: only with CSTG on; sites owning returned keys that have domain (or app) names. */
function siteData(view: KeyView, keys: readonly KeysetKey[]): { site_data?: { id: number; domain_names: string[] }[] } {
  if (!view.config.clientSideTokenGenerate) return {};
  const withApps = view.config.keySharingEndpointProvideAppNames;
  const siteIds = [...new Set(keys.map((k) => siteOf(view, k)).filter((s): s is number => s !== undefined))].sort((a, b) => a - b);
  const data: { id: number; domain_names: string[] }[] = [];
  for (const id of siteIds) {
    const site = view.sites.byId.get(id);
    if (!site) continue;
    const names = new Set([...site.domainNames, ...(withApps ? site.appNames : [])]);
    if (names.size === 0) continue;
    data.push({ id, domain_names: [...names].sort() });
  }
  return { site_data: data };
}

function sharedHeader(view: KeyView): { identity_scope: 'UID2' | 'EUID'; allow_clock_skew_seconds: number } {
  return { identity_scope: scopeName(view.config.identityScope), allow_clock_skew_seconds: view.config.allowClockSkewSeconds };
}

export function keySharingBody(view: KeyView, client: ClientRecord): Record<string, unknown> {
  const keys = accessibleKeys(view, client);
  const ownDefault = defaultKeyset(view.keysets, client.siteId);
  return {
    caller_site_id: client.siteId,
    master_keyset_id: MASTER_KEYSET_ID_FOR_SDKS,
    ...(ownDefault ? { default_keyset_id: ownDefault.keysetId } : {}),
    token_expiry_seconds: String(view.lifetimes.sharingTokenExpirySeconds),
    ...(client.roles.has('SHARER')
      ? { max_sharing_lifetime_seconds: view.lifetimes.maxSharingLifetimeSeconds + TOKEN_LIFETIME_TOLERANCE_SECONDS }
      : {}),
    ...sharedHeader(view),
    keys: keys.map((k) => {
      const json = keyJson(k);
      // Only keys the caller may encrypt with carry their keyset (spec §8.3).
      if (siteOf(view, k) === client.siteId) json.keyset_id = k.keysetId;
      else if (k.keysetId === MASTER_KEYSET_ID) json.keyset_id = MASTER_KEYSET_ID_FOR_SDKS;
      return json;
    }),
    ...siteData(view, keys),
  };
}

export function keyBidstreamBody(view: KeyView, client: ClientRecord): Record<string, unknown> {
  const keys = accessibleKeys(view, client);
  return {
    max_bidstream_lifetime_seconds: view.lifetimes.maxBidstreamLifetimeSeconds + TOKEN_LIFETIME_TOLERANCE_SECONDS,
    ...sharedHeader(view),
    keys: keys.map(keyJson),
    ...siteData(view, keys),
  };
}

/** `/v2/key/latest`: the accessible keys, each with the site owning its keyset. */
export function keyLatestBody(view: KeyView, client: ClientRecord): KeyJson[] {
  return accessibleKeys(view, client).map((k) => ({ ...keyJson(k), site_id: siteOf(view, k) ?? k.keysetId }));
}
