/**
 * Which key encrypts what (spec §8.2, upstream `KeysetKeyStoreSnapshot.getActiveKey`, `KeyManager`).
 * Decryption looks keys up by id regardless of expiry; encryption needs an *active* key.
 */
import {
  FALLBACK_SITE_ID,
  MASTER_KEYSET_ID,
  REFRESH_KEYSET_ID,
  type Keyset,
  type KeysetKey,
  type KeysetKeySnapshot,
  type KeysetSnapshot,
} from './keyset-store.ts';

/** Active key of a keyset at `nowMs`: the latest-activated key with activates ≤ now < expires. */
export function activeKey(keys: KeysetKeySnapshot, keysetId: number, nowMs: number): KeysetKey | undefined {
  const now = Math.floor(nowMs / 1000);
  const list = keys.byKeyset.get(keysetId) ?? [];
  let best: KeysetKey | undefined;
  for (const k of list) {
    if (k.activates <= now && k.expires > now && (best === undefined || k.activates >= best.activates)) best = k;
  }
  return best;
}

export class AmbiguousDefaultKeysetError extends Error {
  readonly code = 'ERR_AMBIGUOUS_DEFAULT_KEYSET';

  constructor(siteId: number) {
    super(`site ${siteId} has more than one enabled default keyset`);
    this.name = 'AmbiguousDefaultKeysetError';
  }
}

/** The site's single enabled default keyset (spec §8.2); more than one is a data error. */
export function defaultKeyset(keysets: KeysetSnapshot, siteId: number): Keyset | undefined {
  const found = (keysets.bySite.get(siteId) ?? []).filter((k) => k.enabled && k.isDefault);
  if (found.length > 1) throw new AmbiguousDefaultKeysetError(siteId);
  return found[0];
}

export type SiteKeyStatus = 'site_keyset_found' | 'fallback_keyset_found' | 'keyset_not_found';

/**
 * Key that encrypts a publisher's site payload: the active key of the site's default keyset, or
 * of site 2's when the site has none (metric `uid2_site_keyset_status`).
 */
export function selectSiteKey(
  keysets: KeysetSnapshot,
  keys: KeysetKeySnapshot,
  siteId: number,
  nowMs: number,
): { key: KeysetKey | undefined; status: SiteKeyStatus } {
  const own = defaultKeyset(keysets, siteId);
  const ownKey = own && activeKey(keys, own.keysetId, nowMs);
  if (ownKey) return { key: ownKey, status: 'site_keyset_found' };
  const fallback = defaultKeyset(keysets, FALLBACK_SITE_ID);
  const fallbackKey = fallback && activeKey(keys, fallback.keysetId, nowMs);
  return fallbackKey ? { key: fallbackKey, status: 'fallback_keyset_found' } : { key: undefined, status: 'keyset_not_found' };
}

export function masterKey(keys: KeysetKeySnapshot, nowMs: number): KeysetKey | undefined {
  return activeKey(keys, MASTER_KEYSET_ID, nowMs);
}

export function refreshKey(keys: KeysetKeySnapshot, nowMs: number): KeysetKey | undefined {
  return activeKey(keys, REFRESH_KEYSET_ID, nowMs);
}

/** Site that owns a key (through its keyset), for validate's ownership check (spec §4.2). */
export function siteOfKey(keysets: KeysetSnapshot, keys: KeysetKeySnapshot, keyId: number): number | undefined {
  const key = keys.byId.get(keyId);
  return key && keysets.byId.get(key.keysetId)?.siteId;
}
