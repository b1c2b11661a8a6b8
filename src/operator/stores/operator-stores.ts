/**
 * The operator's stores: one `SnapshotRef` per store, and which of them a configuration needs.
 * Route plugins read `deps.stores.<name>.current()` once per request.
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
import { SnapshotRef } from './snapshot-ref.ts';
import type { StoreDefinition, Versioned } from './store-definition.ts';
import type { StoreName } from './store-source.ts';

export interface OperatorStores {
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

/** Fresh refs; optional stores start with an empty snapshot so routes never see "not loaded". */
export function createOperatorStores(): OperatorStores {
  return {
    clients: new SnapshotRef(),
    keysets: new SnapshotRef(),
    keysetKeys: new SnapshotRef(),
    salts: new SnapshotRef(),
    sites: new SnapshotRef(buildSiteSnapshot([], 0)),
    cstgKeypairs: new SnapshotRef(buildCstgKeypairSnapshot([], 0)),
    services: new SnapshotRef(buildServiceSnapshot([], 0)),
    serviceLinks: new SnapshotRef(buildServiceLinkSnapshot([], 0)),
    runtimeConfig: new SnapshotRef(),
    optout: new SnapshotRef(EMPTY_OPTOUT),
    cloudKeys: new SnapshotRef(buildCloudKeySnapshot([], 0)),
  };
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
  ] as StoreBinding[];
  const optional: StoreBinding[] = [
    { name: 'sites', definition: siteStore, ref: stores.sites, refreshMs: ms.sites },
    { name: 'client_side_keypairs', definition: cstgKeypairStore, ref: stores.cstgKeypairs, refreshMs: ms.client_side_keypairs },
    { name: 'services', definition: serviceStore, ref: stores.services, refreshMs: ms.services },
    { name: 'service_links', definition: serviceLinkStore, ref: stores.serviceLinks, refreshMs: ms.service_links },
    { name: 'optout', definition: optOutStore, ref: stores.optout, refreshMs: ms.optout },
  ] as StoreBinding[];
  if (config.enableRemoteConfig || config.staticLifetimes === undefined) {
    optional.push({ name: 'runtime_config', definition: runtimeConfigStore, ref: stores.runtimeConfig, refreshMs: ms.runtime_config } as StoreBinding);
  }
  // Encrypted store files are decrypted with these keys, so they load before every other store.
  const keys: StoreBinding[] = config.encryptedFiles
    ? [{ name: 'cloud_encryption_keys', definition: cloudKeyStore, ref: stores.cloudKeys, refreshMs: ms.cloud_encryption_keys } as StoreBinding]
    : [];
  const configured = (b: StoreBinding) => paths[b.name as keyof typeof paths] !== undefined;
  return [...keys.filter(configured), ...all, ...optional.filter(configured)];
}
