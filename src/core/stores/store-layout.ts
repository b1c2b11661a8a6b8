/**
 * Where each store lives in a data set (docs/architecture.md "Data sets"), and the key under which
 * its metadata names the content file. Metadata shapes follow the upstream local layout
 * (fixtures `com.uid2.core/test/<store>/metadata.json`): `{"version","generated","<key>":{"location"}}`,
 * except `salts` (a list of snapshots, spec operator-spec.md §6.5) and `runtime_config` (inline).
 *
 * Blob paths are relative (`stores/clients/metadata.json`); metadata `location`s are the same
 * path with a leading `/`, as the operator's local mode resolves them against the data dir.
 */
import { blobPathOfLocation } from '../../storage/blob-path.ts';

export const STORE_NAMES = [
  'salts',
  'clients',
  'keysets',
  'keyset_keys',
  'sites',
  'client_side_keypairs',
  'services',
  'service_links',
  'runtime_config',
  'cloud_encryption_keys',
  'operators',
  'enclaves',
] as const;
export type StoreName = (typeof STORE_NAMES)[number];

/** Stores whose content is one JSON array named by `<key>.location` in the metadata. */
export type JsonArrayStore = Exclude<StoreName, 'salts' | 'runtime_config'>;

/** The metadata key of each JSON-array store (upstream names; clients use `client_keys`). */
export const METADATA_KEYS: Readonly<Record<JsonArrayStore, string>> = {
  clients: 'client_keys',
  keysets: 'keysets',
  keyset_keys: 'keyset_keys',
  sites: 'sites',
  client_side_keypairs: 'client_side_keypairs',
  services: 'services',
  service_links: 'service_links',
  cloud_encryption_keys: 'cloud_encryption_keys',
  operators: 'operators',
  enclaves: 'enclaves',
};

export function isStoreName(name: string): name is StoreName {
  return (STORE_NAMES as readonly string[]).includes(name);
}

export function metadataPath(store: StoreName): string {
  return `stores/${store}/metadata.json`;
}

/** Content files carry their version so a new version never overwrites what readers may be fetching. */
export function contentPath(store: JsonArrayStore, version: number): string {
  return `stores/${store}/${store}.${version}.json`;
}

/** Salt files are named like upstream's, after the snapshot's effective time. */
export function saltFilePath(effectiveMs: number): string {
  return `stores/salts/salts.txt.${effectiveMs}`;
}

export function locationOf(path: string): string {
  return `/${path}`;
}

/** The blob path of a metadata `location`, or undefined when it escapes the data set. */
export const pathOfLocation = blobPathOfLocation;
