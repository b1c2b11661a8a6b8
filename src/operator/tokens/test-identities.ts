/**
 * Opt-out decision with upstream's built-in test identities (spec §10.1, `IdentityConst`):
 * `optout@example.com` / `+00000000000` are always opted out; `refresh-optout@example.com` /
 * `+00000000002` are opted out only at refresh; `validate@example.com` / `+12345678901` never.
 * Their first-level hashes depend on the first-level salt, so they are computed per salt snapshot.
 */
import { firstLevelHash } from '../../protocol/first-level-hash.ts';
import { parseIdentity, type IdentityField } from '../../protocol/identity-input.ts';
import type { OptOutSnapshot } from '../stores/optout-store.ts';
import type { SaltSnapshot } from '../stores/salt-store.ts';

interface TestIdentities {
  readonly alwaysOptedOut: ReadonlySet<string>;
  readonly optedOutAtRefresh: ReadonlySet<string>;
  readonly neverOptedOut: ReadonlySet<string>;
  /** The first 4 base64 characters of every one of them, as `prefixOf` reads them. */
  readonly prefixes: ReadonlySet<number>;
  /** The first 4 bytes of every one of them, big-endian. */
  readonly bytePrefixes: ReadonlySet<number>;
}

function flhSet(salt: string, inputs: [IdentityField, string][]): Set<string> {
  return new Set(inputs.map(([field, value]) => firstLevelHash(parseIdentity(field, value)!.hash, salt).toString('base64')));
}

const cache = new WeakMap<SaltSnapshot, TestIdentities>();

function testIdentities(salts: SaltSnapshot): TestIdentities {
  let ids = cache.get(salts);
  if (!ids) {
    const salt = salts.firstLevelSalt;
    const alwaysOptedOut = flhSet(salt, [['email', 'optout@example.com'], ['phone', '+00000000000']]);
    const optedOutAtRefresh = flhSet(salt, [['email', 'refresh-optout@example.com'], ['phone', '+00000000002']]);
    const neverOptedOut = flhSet(salt, [['email', 'validate@example.com'], ['phone', '+12345678901']]);
    const prefixes = new Set<number>();
    const bytePrefixes = new Set<number>();
    for (const set of [alwaysOptedOut, optedOutAtRefresh, neverOptedOut]) {
      for (const key of set) {
        prefixes.add(prefixOf(Buffer.from(key, 'latin1'), 0));
        bytePrefixes.add(prefixOf(Buffer.from(key, 'base64'), 0));
      }
    }
    ids = { alwaysOptedOut, optedOutAtRefresh, neverOptedOut, prefixes, bytePrefixes };
    cache.set(salts, ids);
  }
  return ids;
}

export type OptOutCheckPoint = 'generate' | 'refresh';

/**
 * True when any opt-out record exists for the first-level hash, test identities applied first.
 * Text is made of the hash only when it may be a test identity (its first 4 bytes are one's);
 * any other hash is looked up as bytes.
 */
export function isOptedOut(salts: SaltSnapshot, optout: OptOutSnapshot, flh: Buffer, at: OptOutCheckPoint): boolean {
  if (flh.length < 4 || testIdentities(salts).bytePrefixes.has(prefixOf(flh, 0))) return isOptedOutBase64(salts, optout, flh.toString('base64'), at);
  return (optout.byIdentityHash.getBytes(flh) ?? 0) > 0;
}

/** `isOptedOut` for a first-level hash already held as base64 text (the identity-map hot path). */
export function isOptedOutBase64(salts: SaltSnapshot, optout: OptOutSnapshot, key: string, at: OptOutCheckPoint): boolean {
  const ids = testIdentities(salts);
  if (ids.alwaysOptedOut.has(key)) return true;
  if (ids.optedOutAtRefresh.has(key)) return at === 'refresh';
  if (ids.neverOptedOut.has(key)) return false;
  return (optout.byIdentityHash.get(key) ?? 0) > 0;
}

/** Base64 text of a first-level hash: 44 ASCII bytes. */
const FLH_TEXT_LENGTH = 44;

function prefixOf(text: Uint8Array, start: number): number {
  return ((text[start] << 24) | (text[start + 1] << 16) | (text[start + 2] << 8) | text[start + 3]) >>> 0;
}

/**
 * `isOptedOutBase64` of `count` first-level hashes held back to back as base64 bytes (the batch
 * identity mapper): 1 where opted out. Records are looked up for all of them in one batch
 * (`getBase64Batch`); a string is made of a hash only when it may be a test identity (same first
 * 4 characters as one; the test identities and their prefixes are kept per salt snapshot).
 */
export function optedOutOfBase64Batch(salts: SaltSnapshot, optout: OptOutSnapshot, at: OptOutCheckPoint, text: Buffer, count: number): Uint8Array {
  const { prefixes } = testIdentities(salts);
  const flags = new Uint8Array(count);
  const times = new Float64Array(count);
  if (optout.byIdentityHash.size > 0) optout.byIdentityHash.getBase64Batch(text, count, times);
  for (let i = 0, start = 0; i < count; i++, start += FLH_TEXT_LENGTH) {
    if (prefixes.has(prefixOf(text, start))) flags[i] = isOptedOutBase64(salts, optout, text.toString('latin1', start, start + FLH_TEXT_LENGTH), at) ? 1 : 0;
    // Not a test identity (their prefixes differ), so only a record can opt it out.
    else flags[i] = times[i] > 0 ? 1 : 0;
  }
  return flags;
}
