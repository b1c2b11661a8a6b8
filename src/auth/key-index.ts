/**
 * Salted SHA-512 lookup of a presented API/operator key (spec §2.1, upstream AuthorizableStore).
 *
 * key_hash = base64(SHA-512(salt bytes ‖ UTF-8(key))). A formatted key
 * (`UID2-C-L-999-xxxxxx.<38 chars>`) names its site, so only the salts of records of that site are
 * tried; any other key tries every salt. Results, misses included, are cached in a bounded map. An
 * index is immutable: a store reload builds a new one, which also drops the cached misses as
 * upstream does on every reload.
 */
import { hashClientKey } from '../protocol/client-key.ts';
import type { AuthRecord } from './auth-record.ts';
import { hasAnyRole, type Role } from './roles.ts';

// Upstream uses Matcher.find(), so the pattern is not anchored.
const FORMATTED_KEY = /(?:UID2|EUID)-[CO]-[LTIP]-([0-9]+)-.{6}\..{38}/;
export const DEFAULT_CACHE_SIZE = 100_000;

/** Site id named by a formatted key, or undefined for a legacy/unformatted key. */
export function siteIdOfKey(key: string): number | undefined {
  const m = FORMATTED_KEY.exec(key);
  if (!m) return undefined;
  const id = Number(m[1]);
  return Number.isSafeInteger(id) ? id : undefined;
}

/** base64(SHA-512(salt ‖ UTF-8(key))) (protocol `hashClientKey`). */
export function hashKey(saltBytes: Buffer, key: string): string {
  return hashClientKey(saltBytes, key);
}

/** `Authorization: Bearer <key>`: prefix case-insensitive, value trimmed (spec §2.1). */
export function parseBearer(header: string | undefined): string | undefined {
  if (typeof header !== 'string' || header.length < 7) return undefined;
  if (header.slice(0, 7).toLowerCase() !== 'bearer ') return undefined;
  const key = header.slice(7).trim();
  return key.length > 0 ? key : undefined;
}

export class KeyIndex<T extends AuthRecord> {
  readonly records: readonly T[];
  private readonly byHash = new Map<string, T>();
  private readonly allSalts: Buffer[];
  private readonly saltsBySite = new Map<number, Buffer[]>();
  private readonly cache = new Map<string, T | null>();

  constructor(records: readonly T[], private readonly cacheSize = DEFAULT_CACHE_SIZE) {
    this.records = Object.freeze([...records]);
    const seen = new Set<string>();
    this.allSalts = [];
    for (const r of records) {
      // Compared as bytes upstream; canonical base64 makes string keys equivalent.
      this.byHash.set(Buffer.from(r.keyHash, 'base64').toString('base64'), r);
      const salt = Buffer.from(r.keySalt, 'base64');
      if (!seen.has(r.keySalt)) {
        seen.add(r.keySalt);
        this.allSalts.push(salt);
      }
      if (r.siteId !== undefined) {
        const list = this.saltsBySite.get(r.siteId) ?? [];
        list.push(salt);
        this.saltsBySite.set(r.siteId, list);
      }
    }
  }

  /** The record whose key is `key`, whatever its state (disabled records included). */
  lookup(key: string): T | undefined {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const found = this.search(key);
    if (this.cache.size >= this.cacheSize) {
      // Bounded: drop the oldest entry (Map keeps insertion order).
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(key, found ?? null);
    return found;
  }

  /** The record if it exists, is enabled and holds at least one of `roles` (spec §2.1). */
  authorize(key: string | undefined, roles: readonly Role[]): T | undefined {
    if (key === undefined) return undefined;
    const record = this.lookup(key);
    if (!record || record.disabled || !hasAnyRole(record.roles, roles)) return undefined;
    return record;
  }

  private search(key: string): T | undefined {
    const site = siteIdOfKey(key);
    const salts = site === undefined ? this.allSalts : this.saltsBySite.get(site) ?? [];
    for (const salt of salts) {
      const record = this.byHash.get(hashKey(salt, key));
      if (record) return record;
    }
    return undefined;
  }
}
