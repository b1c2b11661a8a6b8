/**
 * MAA token-signing keys, fetched from `{maa}/certs` and cached per MAA base URL for an hour
 * (uid2-shared `azurecc/AzurePublicKeyProvider`, spec attestation-azure.md §2.2 step 2).
 *
 * MAA publishes its signers as `x5c` certificate chains; the key is the leaf's (`x5c[0]`) public
 * key. Plain `n`/`e` (or EC `x`/`y`) JWKs are accepted too, since whether MAA also sends them is an
 * open point (§7). The URL always comes from Core's configuration, never from the token's `jku`.
 */
import { X509Certificate, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export const SIGNING_KEYS_TTL_MS = 3_600_000;

interface CacheEntry {
  loadedAt: number;
  keys: Promise<Map<string, KeyObject>>;
}

export interface MaaSigningKeysOptions {
  ttlMs?: number;
  nowMs?: () => number;
  timeoutMs?: number;
}

export class MaaSigningKeys {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly ttlMs: number;
  private readonly nowMs: () => number;
  private readonly timeoutMs: number;

  constructor(options: MaaSigningKeysOptions = {}) {
    this.ttlMs = options.ttlMs ?? SIGNING_KEYS_TTL_MS;
    this.nowMs = options.nowMs ?? Date.now;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** The public key for `kid`, or undefined when MAA does not list it. Throws when `/certs` fails. */
  async keyFor(maaBaseUrl: string, kid: string): Promise<KeyObject | undefined> {
    const base = maaBaseUrl.replace(/\/+$/, '');
    const now = this.nowMs();
    let entry = this.cache.get(base);
    if (!entry || now - entry.loadedAt >= this.ttlMs) {
      entry = { loadedAt: now, keys: this.fetchKeys(base) };
      this.cache.set(base, entry);
      // A failed fetch is not cached: the next verification tries again.
      entry.keys.catch(() => {
        if (this.cache.get(base) === entry) this.cache.delete(base);
      });
    }
    return (await entry.keys).get(kid);
  }

  private async fetchKeys(base: string): Promise<Map<string, KeyObject>> {
    const response = await fetch(`${base}/certs`, { signal: AbortSignal.timeout(this.timeoutMs) });
    if (response.status !== 200) {
      await response.arrayBuffer().catch(() => undefined);
      throw new Error(`MAA /certs answered HTTP ${response.status}`);
    }
    const body = (await response.json()) as { keys?: unknown };
    const keys = new Map<string, KeyObject>();
    for (const jwk of Array.isArray(body.keys) ? body.keys : []) {
      if (jwk === null || typeof jwk !== 'object' || typeof (jwk as { kid?: unknown }).kid !== 'string') continue;
      const key = importSigningKey(jwk as Record<string, unknown>);
      if (key) keys.set((jwk as { kid: string }).kid, key);
    }
    return keys;
  }
}

/** x5c leaf first; otherwise the JWK's own parameters. An unusable entry is skipped. */
function importSigningKey(jwk: Record<string, unknown>): KeyObject | undefined {
  try {
    const x5c = jwk.x5c;
    if (Array.isArray(x5c) && typeof x5c[0] === 'string') {
      return new X509Certificate(Buffer.from(x5c[0], 'base64')).publicKey;
    }
    if ((jwk.kty === 'RSA' && typeof jwk.n === 'string' && typeof jwk.e === 'string') || jwk.kty === 'EC') {
      const { kty, n, e, crv, x, y } = jwk as Record<string, string>;
      return createPublicKey({ key: { kty, n, e, crv, x, y } as JsonWebKey, format: 'jwk' });
    }
  } catch {
    // malformed certificate or JWK
  }
  return undefined;
}
