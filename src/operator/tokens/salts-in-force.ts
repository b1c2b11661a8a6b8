/**
 * The salt snapshot a request works with, from its store view: taking it is also the request's
 * salt-expiry check (sync/salt-expiry-policy.ts, upstream `getSaltProviderSnapshot`).
 */
import type { OperatorDeps } from '../deps.ts';
import type { StoreView } from '../stores/operator-stores.ts';
import type { SaltSnapshot } from '../stores/salt-store.ts';

export function saltsInForce(deps: OperatorDeps, view: StoreView, nowMs: number): SaltSnapshot {
  const { salts } = view;
  deps.saltExpiry?.observe(salts, nowMs);
  return salts;
}
