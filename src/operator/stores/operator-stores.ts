/**
 * The operator's stores: one `SnapshotRef` per store, and which of them a configuration needs.
 * A request reads `stores.view()` once (the request pipeline does, before authentication): one
 * object holding the snapshot of every store, rebuilt after any swap, so a request never mixes
 * versions.
 */
import type { OperatorConfig } from '../config/operator-config.ts';
import { buildClientSnapshot, clientStore, type ClientSnapshot } from './client-store.ts';
import { buildCloudKeySnapshot, cloudKeyStore, type CloudKeySnapshot } from './cloud-key-store.ts';
import { buildCstgKeypairSnapshot, cstgKeypairStore, type CstgKeypairSnapshot } from './cstg-keypair-store.ts';
import {
  buildKeysetKeySnapshot,
  buildKeysetSnapshot,
  keysetKeyStore,
  keysetStore,
  type KeysetKeySnapshot,
  type KeysetSnapshot,
} from './keyset-store.ts';
import { EMPTY_OPTOUT, optOutStore, type OptOutSnapshot } from './optout-store.ts';
import { runtimeConfigStore, type RuntimeConfigSnapshot } from './runtime-config-store.ts';
import { saltStore, type SaltSnapshot } from './salt-store.ts';
import {
  buildServiceLinkSnapshot,
  buildServiceSnapshot,
  serviceLinkStore,
  serviceStore,
  type ServiceLinkSnapshot,
  type ServiceSnapshot,
} from './service-store.ts';
import { buildSiteSnapshot, siteStore, type SiteSnapshot } from './site-store.ts';
import { shareable } from './shared-snapshots.ts';
import type { StoreView } from './store-view.ts';
import { SnapshotRef } from './snapshot-ref.ts';
import type { StoreDefinition, Versioned } from './store-definition.ts';
import type { StoreName } from './store-source.ts';

export type { StoreView } from './store-view.ts';

export interface OperatorStores {
  /** Every store's snapshot in force; throws before the required stores are loaded. */
  view(): StoreView;
  /** Calls `listener` after each swap of a store of the view, with its field name. */
  onSwap(listener: (field: keyof StoreView) => void): void;
  readonly clients: SnapshotRef<ClientSnapshot>;
  readonly keysets: SnapshotRef<KeysetSnapshot>;
  readonly keysetKeys: SnapshotRef<KeysetKeySnapshot>;
  readonly salts: SnapshotRef<SaltSnapshot>;
  readonly sites: SnapshotRef<SiteSnapshot>;
  readonly cstgKeypairs: SnapshotRef<CstgKeypairSnapshot>;
  readonly services: SnapshotRef<ServiceSnapshot>;
  readonly serviceLinks: SnapshotRef<ServiceLinkSnapshot>;
  /** Empty (not loaded) when the static config supplies lifetimes (`enable_remote_config=false`). */
  readonly runtimeConfig: SnapshotRef<RuntimeConfigSnapshot>;
  readonly optout: SnapshotRef<OptOutSnapshot>;
  /** Cloud encryption keys; loaded only with `encrypted_files` (the only use, spec §12.3). */
  readonly cloudKeys: SnapshotRef<CloudKeySnapshot>;
}

/** One rotating store: its definition, the ref it fills, and whether startup needs it. */
export interface StoreBinding<T extends Versioned = Versioned> {
  readonly name: StoreName;
  readonly definition: StoreDefinition<T>;
  readonly ref: SnapshotRef<T>;
  readonly refreshMs: number;
}

export interface OperatorStoresOptions {
  /**
   * Large arrays in shared memory (stores/shared-snapshots.ts), for an operator that hands its
   * snapshots to request threads.
   */
  readonly shared?: boolean;
}

/** Fresh refs; optional stores start with an empty snapshot so routes never see "not loaded". */
export function createOperatorStores(options: OperatorStoresOptions = {}): OperatorStores {
  let cached: StoreView | undefined;
  const listeners: ((field: keyof StoreView) => void)[] = [];
  const ref = <T>(field: keyof StoreView | undefined, initial?: T) =>
    new SnapshotRef<T>(
      initial,
      () => {
        cached = undefined;
        if (field !== undefined) for (const l of listeners) l(field);
      },
      options.shared && field !== undefined ? (next) => shareable(field, next as never) as T : undefined,
    );
  const stores: OperatorStores = {
    view: () => (cached ??= viewOf(stores)),
    onSwap: (listener) => void listeners.push(listener),
    clients: ref('clients'),
    keysets: ref('keysets'),
    keysetKeys: ref('keysetKeys'),
    salts: ref('salts'),
    sites: ref('sites', buildSiteSnapshot([], 0)),
    cstgKeypairs: ref('cstgKeypairs', buildCstgKeypairSnapshot([], 0)),
    services: ref('services', buildServiceSnapshot([], 0)),
    serviceLinks: ref('serviceLinks', buildServiceLinkSnapshot([], 0)),
    runtimeConfig: ref('runtimeConfig'),
    optout: ref('optout', EMPTY_OPTOUT),
    cloudKeys: ref(undefined, buildCloudKeySnapshot([], 0)),
  };
  return stores;
}

function viewOf(s: OperatorStores): StoreView {
  return Object.freeze({
    clients: s.clients.current(),
    keysets: s.keysets.current(),
    keysetKeys: s.keysetKeys.current(),
    salts: s.salts.current(),
    sites: s.sites.current(),
    cstgKeypairs: s.cstgKeypairs.current(),
    services: s.services.current(),
    serviceLinks: s.serviceLinks.current(),
    runtimeConfig: s.runtimeConfig.peek(),
    optout: s.optout.current(),
  });
}

/** Empty client/key snapshots, for tests that build stores by hand. */
export const emptySnapshots = {
  clients: () => buildClientSnapshot([], 0),
  keysets: () => buildKeysetSnapshot([], 0),
  keysetKeys: () => buildKeysetKeySnapshot([], 0),
};

/**
 * The stores this configuration rotates (spec §11, §12.2). Stores whose metadata path is not
 * configured keep their empty snapshot; clients, keysets, keys and salts are always required.
 */
export function storeBindings(config: OperatorConfig, stores: OperatorStores): StoreBinding[] {
  const paths = config.metadataPaths;
  const ms = config.refreshMs;
  const all: StoreBinding[] = [
    { name: 'clients', definition: clientStore, ref: stores.clients, refreshMs: ms.clients },
    { name: 'keysets', definition: keysetStore, ref: stores.keysets, refreshMs: ms.keysets },
    { name: 'keyset_keys', definition: keysetKeyStore, ref: stores.keysetKeys, refreshMs: ms.keyset_keys },
    { name: 'salts', definition: saltStore, ref: stores.salts, refreshMs: ms.salts },
  ] as unknown as StoreBinding[];
  const optional: StoreBinding[] = [
    { name: 'sites', definition: siteStore, ref: stores.sites, refreshMs: ms.sites },
    { name: 'client_side_keypairs', definition: cstgKeypairStore, ref: stores.cstgKeypairs, refreshMs: ms.client_side_keypairs },
    { name: 'services', definition: serviceStore, ref: stores.services, refreshMs: ms.services },
    { name: 'service_links', definition: serviceLinkStore, ref: stores.serviceLinks, refreshMs: ms.service_links },
    { name: 'optout', definition: optOutStore, ref: stores.optout, refreshMs: ms.optout },
  ] as unknown as StoreBinding[];
  if (config.enableRemoteConfig || config.staticLifetimes === undefined) {
    optional.push({ name: 'runtime_config', definition: runtimeConfigStore, ref: stores.runtimeConfig, refreshMs: ms.runtime_config } as unknown as StoreBinding);
  }
  // Encrypted store files are decrypted with these keys, so they load before every other store.
  const keys: StoreBinding[] = config.encryptedFiles
    ? [{ name: 'cloud_encryption_keys', definition: cloudKeyStore, ref: stores.cloudKeys, refreshMs: ms.cloud_encryption_keys } as unknown as StoreBinding]
    : [];
  const configured = (b: StoreBinding) => paths[b.name as keyof typeof paths] !== undefined;
  return [...keys.filter(configured), ...all, ...optional.filter(configured)];
}
