/**
 * Keysets and keyset keys (spec §8.1). Reserved keysets: master −1, refresh −2, fallback
 * publisher keyset of site 2 (spec §8, upstream `Const.Data`).
 */
import { StoreFormatError, indexBy, parseRecords } from './store-json.ts';
import { jsonFileStore, type Versioned } from './store-definition.ts';

export const MASTER_KEYSET_ID = -1;
export const REFRESH_KEYSET_ID = -2;
export const FALLBACK_SITE_ID = 2;

export interface Keyset {
  readonly keysetId: number;
  readonly siteId: number;
  readonly name: string;
  /** `null` = no restriction list (spec §8.3). */
  readonly allowedSites: readonly number[] | null;
  readonly created: number;
  readonly enabled: boolean;
  readonly isDefault: boolean;
}

/** A key: `{id, secret}` as the protocol modules expect, plus its keyset and times (epoch seconds). */
export interface KeysetKey {
  readonly id: number;
  readonly secret: Buffer;
  readonly keysetId: number;
  readonly created: number;
  readonly activates: number;
  readonly expires: number;
}

export interface KeysetSnapshot extends Versioned {
  readonly byId: ReadonlyMap<number, Keyset>;
  /** Every keyset of a site, in file order. */
  readonly bySite: ReadonlyMap<number, readonly Keyset[]>;
}

export interface KeysetKeySnapshot extends Versioned {
  readonly byId: ReadonlyMap<number, KeysetKey>;
  /** Keys of a keyset sorted by `activates` ascending. */
  readonly byKeyset: ReadonlyMap<number, readonly KeysetKey[]>;
  /** Every key sorted by id (key sharing responses, spec §8.3). */
  readonly all: readonly KeysetKey[];
}

export function buildKeysetSnapshot(json: unknown, version: number): KeysetSnapshot {
  const keysets = parseRecords(json, 'keysets', (f): Keyset => ({
    keysetId: f.int('keyset_id'),
    siteId: f.int('site_id'),
    name: f.optStr('name') ?? '',
    allowedSites: f.optIntArray('allowed_sites'),
    created: f.optInt('created', 0)!,
    enabled: f.bool('enabled', false),
    isDefault: f.bool('default', false),
  }));
  const byId = indexBy(keysets, (k) => k.keysetId);
  const bySite = new Map<number, Keyset[]>();
  for (const keyset of keysets) bySite.set(keyset.siteId, [...(bySite.get(keyset.siteId) ?? []), keyset]);
  return Object.freeze({ version, entryCount: byId.size, byId, bySite });
}

export function buildKeysetKeySnapshot(json: unknown, version: number): KeysetKeySnapshot {
  const keys = parseRecords(json, 'keyset_keys', (f, _o, where): KeysetKey => {
    const secret = Buffer.from(f.str('secret'), 'base64');
    if (secret.length !== 32) throw new StoreFormatError(`${where}.secret: expected base64 of 32 bytes`);
    return {
      id: f.int('id'),
      secret,
      keysetId: f.int('keyset_id'),
      created: f.int('created'),
      activates: f.int('activates'),
      expires: f.int('expires'),
    };
  });
  const byId = indexBy(keys, (k) => k.id);
  const byKeyset = new Map<number, KeysetKey[]>();
  for (const key of keys) byKeyset.set(key.keysetId, [...(byKeyset.get(key.keysetId) ?? []), key]);
  for (const list of byKeyset.values()) list.sort((a, b) => a.activates - b.activates || a.id - b.id);
  const all = Object.freeze([...byId.values()].sort((a, b) => a.id - b.id));
  return Object.freeze({ version, entryCount: byId.size, byId, byKeyset, all });
}

export const keysetStore = jsonFileStore('keysets', 'keysets', buildKeysetSnapshot);
export const keysetKeyStore = jsonFileStore('keyset_keys', 'keyset_keys', buildKeysetKeySnapshot);
