/**
 * Store snapshots handed to request threads (issue 16). The operator process loads every store
 * once; its request threads get each new snapshot as a message:
 *
 * | store                        | message                      | in a thread                        |
 * | salts                        | each file's table parts, in  | tables over the same memory        |
 * |                              | shared memory                | (`SaltTable.fromParts`)            |
 * | optout                       | record files and the identity| an index over the same memory; the |
 * |                              | index table, in shared memory| advertising-id index on demand     |
 * | runtime config               | the snapshot (plain data)    | a copy                             |
 * | clients, keysets, keys,      | the JSON it was built from   | built again from that JSON (small) |
 * | sites, keypairs, services,   |                              |                                    |
 * | service links                |                              |                                    |
 *
 * `shareable` turns a snapshot the process loaded into one whose large arrays live in shared
 * memory (copied once, when they are not there yet), so the process and every thread hold one
 * copy between them; `exportSnapshot` / `importSnapshot` are the two ends of the message.
 */
import { inSharedMemory, isShared } from '../threads/job-thread.ts';
import { clientStore } from './client-store.ts';
import { cstgKeypairStore } from './cstg-keypair-store.ts';
import { keysetKeyStore, keysetStore } from './keyset-store.ts';
import { LazyOptOutIndex } from './lazy-optout-index.ts';
import type { StoreView } from './store-view.ts';
import { OptOutIndex, type OptOutLookup, type OptOutTable } from './optout-index.ts';
import type { OptOutSnapshot } from './optout-store.ts';
import type { RuntimeConfigSnapshot } from './runtime-config-store.ts';
import { saltSnapshotOf, type SaltSnapshot } from './salt-store.ts';
import { mapSaltParts, SaltTable, type SaltTableParts } from './salt-table.ts';
import { serviceLinkStore, serviceStore } from './service-store.ts';
import { siteStore } from './site-store.ts';
import { jsonSourceOf, type JsonStoreDefinition, type Versioned } from './store-definition.ts';

export type ViewField = keyof StoreView;

const JSON_STORES = {
  clients: clientStore,
  keysets: keysetStore,
  keysetKeys: keysetKeyStore,
  sites: siteStore,
  cstgKeypairs: cstgKeypairStore,
  services: serviceStore,
  serviceLinks: serviceLinkStore,
} as const satisfies Partial<Record<ViewField, JsonStoreDefinition<Versioned>>>;

type JsonField = keyof typeof JSON_STORES;

export type SharedSnapshot =
  | { readonly kind: 'json'; readonly version: number; readonly json: unknown }
  | { readonly kind: 'runtime'; readonly snapshot: RuntimeConfigSnapshot | undefined }
  | {
      readonly kind: 'salts';
      readonly version: number;
      readonly firstLevelSalt: string;
      readonly idPrefix: string;
      readonly idSecret: string;
      readonly files: readonly { readonly effective: number; readonly expires: number; readonly parts: SaltTableParts }[];
    }
  | { readonly kind: 'optout'; readonly version: number; readonly files: readonly Uint8Array[]; readonly identity: OptOutTable };


function sharedBuffer(bytes: Uint8Array): Buffer {
  const view = inSharedMemory(bytes);
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** The identity index's files and table (optout-store.ts builds the index over exactly these files). */
function optOutParts(o: OptOutSnapshot): { files: readonly Buffer[]; identity: OptOutTable } {
  const index = o.byIdentityHash as OptOutIndex;
  return { files: index.files, identity: index.tableParts() };
}

function optOutSnapshot(version: number, files: readonly Buffer[], identity: OptOutTable, advertising?: OptOutLookup): OptOutSnapshot {
  const byIdentityHash = new OptOutIndex(files, 'identity', identity);
  return Object.freeze({ version, entryCount: byIdentityHash.size, byIdentityHash, byAdvertisingId: advertising ?? new LazyOptOutIndex(files, 'advertising') });
}

/** `snapshot` with its large arrays in shared memory: what the process keeps when it runs request threads. */
export function shareable<F extends ViewField>(field: F, snapshot: StoreView[F]): StoreView[F] {
  if (field === 'salts') {
    const s = snapshot as SaltSnapshot;
    const files = s.files.map((f) => Object.freeze({ effective: f.effective, expires: f.expires, entries: SaltTable.fromParts(mapSaltParts(f.entries.toParts(), inSharedMemory)) }));
    return saltSnapshotOf(s.version, s.firstLevelSalt, s.idPrefix, s.idSecret, files, Date.now()) as StoreView[F];
  }
  if (field === 'optout') {
    const o = snapshot as OptOutSnapshot;
    const { files, identity } = optOutParts(o);
    if (files.every(isShared) && isShared(identity.table)) return snapshot;
    return optOutSnapshot(o.version, files.map(sharedBuffer), { table: inSharedMemory(identity.table), size: identity.size }) as StoreView[F];
  }
  return snapshot;
}

/** The message form of a (shareable) snapshot. */
export function exportSnapshot<F extends ViewField>(field: F, snapshot: StoreView[F]): SharedSnapshot {
  if (field === 'runtimeConfig') return { kind: 'runtime', snapshot: snapshot as RuntimeConfigSnapshot | undefined };
  if (field === 'salts') {
    const s = snapshot as SaltSnapshot;
    const files = s.files.map((f) => ({ effective: f.effective, expires: f.expires, parts: f.entries.toParts() }));
    return { kind: 'salts', version: s.version, firstLevelSalt: s.firstLevelSalt, idPrefix: s.idPrefix, idSecret: s.idSecret, files };
  }
  if (field === 'optout') {
    const { files, identity } = optOutParts(snapshot as OptOutSnapshot);
    return { kind: 'optout', version: (snapshot as OptOutSnapshot).version, files, identity };
  }
  const json = jsonSourceOf(snapshot as object);
  if (json === undefined) throw new Error(`store ${field}: the snapshot was not built from a JSON document`);
  return { kind: 'json', version: (snapshot as Versioned).version, json };
}

/**
 * A thread's snapshot of a message. `advertising` makes the opt-out advertising-id index of a
 * version (the process builds it once and shares it); without it the thread builds its own.
 */
export function importSnapshot<F extends ViewField>(field: F, shared: SharedSnapshot, advertising?: (files: readonly Buffer[], version: number) => OptOutLookup): StoreView[F] {
  switch (shared.kind) {
    case 'runtime':
      return shared.snapshot as StoreView[F];
    case 'salts': {
      const files = shared.files.map((f) => Object.freeze({ effective: f.effective, expires: f.expires, entries: SaltTable.fromParts(f.parts) }));
      return saltSnapshotOf(shared.version, shared.firstLevelSalt, shared.idPrefix, shared.idSecret, files, Date.now()) as StoreView[F];
    }
    case 'optout': {
      const files = shared.files.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));
      return optOutSnapshot(shared.version, files, shared.identity, advertising?.(files, shared.version)) as StoreView[F];
    }
    case 'json':
      return JSON_STORES[field as JsonField].build(shared.json, shared.version) as StoreView[F];
  }
}
