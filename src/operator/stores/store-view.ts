/** The snapshot in force of every store a request reads (operator-stores.ts `view()`). */
import type { ClientSnapshot } from './client-store.ts';
import type { CstgKeypairSnapshot } from './cstg-keypair-store.ts';
import type { KeysetKeySnapshot, KeysetSnapshot } from './keyset-store.ts';
import type { OptOutSnapshot } from './optout-store.ts';
import type { RuntimeConfigSnapshot } from './runtime-config-store.ts';
import type { SaltSnapshot } from './salt-store.ts';
import type { ServiceLinkSnapshot, ServiceSnapshot } from './service-store.ts';
import type { SiteSnapshot } from './site-store.ts';

/** The snapshot in force of every store a request reads, taken at one moment. */
export interface StoreView {
  readonly clients: ClientSnapshot;
  readonly keysets: KeysetSnapshot;
  readonly keysetKeys: KeysetKeySnapshot;
  readonly salts: SaltSnapshot;
  readonly sites: SiteSnapshot;
  readonly cstgKeypairs: CstgKeypairSnapshot;
  readonly services: ServiceSnapshot;
  readonly serviceLinks: ServiceLinkSnapshot;
  /** Undefined when the static config supplies lifetimes (see `OperatorStores.runtimeConfig`). */
  readonly runtimeConfig: RuntimeConfigSnapshot | undefined;
  readonly optout: OptOutSnapshot;
}
