/**
 * Startup refuses to serve with data that cannot issue tokens (spec §11 "Local mode"): no active
 * master key, or every salt file expired.
 */
import { masterKey } from './key-selection.ts';
import type { OperatorStores } from './operator-stores.ts';
import { areAllSaltsExpired } from './salt-store.ts';

export class StoreReadinessError extends Error {
  readonly code = 'ERR_STORE_READINESS';

  constructor(message: string) {
    super(message);
    this.name = 'StoreReadinessError';
  }
}

export function assertStoresUsable(stores: OperatorStores, nowMs: number): void {
  if (!masterKey(stores.keysetKeys.current(), nowMs)) {
    throw new StoreReadinessError('no active master key (keyset -1) in keyset_keys: refusing to start');
  }
  if (areAllSaltsExpired(stores.salts.current(), nowMs)) {
    throw new StoreReadinessError('all salts are expired: refusing to start');
  }
}
