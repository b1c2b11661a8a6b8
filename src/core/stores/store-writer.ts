/**
 * Writes new store versions through a BlobStore: content first, under a versioned name, then the
 * metadata with a higher version. A reader therefore sees either the old metadata (whose content
 * is untouched) or the new metadata (whose content is already complete). BlobStore.put is atomic.
 */
import type { BlobStore } from '../../storage/blob-store.ts';
import { contentPath, locationOf, METADATA_KEYS, metadataPath, saltFilePath, type JsonArrayStore } from './store-layout.ts';
import { readMetadata } from './store-reader.ts';
import { nextVersion, versionOf } from './store-version.ts';

function jsonBytes(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
}

/** Writes `records` as the next version of a JSON-array store and returns that version. */
export async function writeJsonStore(blobs: BlobStore, store: JsonArrayStore, records: readonly unknown[], nowMs: number): Promise<number> {
  const version = nextVersion(versionOf(await readMetadata(blobs, store)), nowMs);
  const path = contentPath(store, version);
  await blobs.put(path, jsonBytes(records));
  await blobs.put(
    metadataPath(store),
    jsonBytes({ version, generated: Math.floor(nowMs / 1000), [METADATA_KEYS[store]]: { location: locationOf(path) } }),
  );
  return version;
}

/** Runtime config lives inline in its metadata (fixture `runtime_config/metadata.json`). */
export async function writeRuntimeConfig(blobs: BlobStore, runtimeConfig: Record<string, unknown>, nowMs: number): Promise<number> {
  const version = nextVersion(versionOf(await readMetadata(blobs, 'runtime_config')), nowMs);
  await blobs.put(metadataPath('runtime_config'), jsonBytes({ version, runtime_config: runtimeConfig }));
  return version;
}

/** One salt snapshot as listed in the salts metadata (spec operator-spec.md §6.5). */
export interface SaltSnapshotRef {
  readonly effective: number;
  readonly expires: number;
  readonly location: string;
  readonly size: number;
}

export interface SaltMetadataFields {
  readonly first_level: string;
  readonly id_prefix: string;
  readonly id_secret: string;
}

/**
 * Writes a new salt file and a salts metadata that lists `keep` (older snapshots still listed)
 * followed by the new one.
 */
export async function writeSaltSnapshot(
  blobs: BlobStore,
  fields: SaltMetadataFields,
  file: Buffer,
  size: number,
  snapshot: { effective: number; expires: number },
  keep: readonly SaltSnapshotRef[],
  nowMs: number,
): Promise<number> {
  const version = nextVersion(versionOf(await readMetadata(blobs, 'salts')), nowMs);
  const path = saltFilePath(snapshot.effective);
  await blobs.put(path, file);
  const salts = [...keep, { effective: snapshot.effective, expires: snapshot.expires, location: locationOf(path), size }];
  await blobs.put(
    metadataPath('salts'),
    jsonBytes({ version, generated: Math.floor(nowMs / 1000), ...fields, salts }),
  );
  return version;
}
