/**
 * The salt snapshot a request works with, read once per request: the read is also the request's
 * salt-expiry check (sync/salt-expiry-policy.ts, upstream `getSaltProviderSnapshot`).
 */
import type { OperatorDeps } from '../deps.ts';
import type { SaltSnapshot } from '../stores/salt-store.ts';

export function saltsInForce(deps: OperatorDeps, nowMs: number): SaltSnapshot {
  const salts = deps.stores.salts.current();
  deps.saltExpiry?.observe(salts, nowMs);
  return salts;
}
