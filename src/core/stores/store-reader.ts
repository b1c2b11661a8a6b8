/**
 * Reads store metadata and content from a BlobStore. Core and the admin commands both read this
 * way, so an admin write is what the next poll sees.
 */
import type { BlobStore } from '../../storage/blob-store.ts';
import { METADATA_KEYS, metadataPath, pathOfLocation, type JsonArrayStore, type StoreName } from './store-layout.ts';

export class StoreReadError extends Error {
  readonly code = 'ERR_STORE_READ';

  constructor(message: string) {
    super(message);
    this.name = 'StoreReadError';
  }
}

type Json = Record<string, unknown>;

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new StoreReadError(`${what} is not valid JSON`);
  }
}

/** The parsed metadata of `store`, or undefined when the store has none yet. */
export async function readMetadata(blobs: BlobStore, store: StoreName): Promise<Json | undefined> {
  const bytes = await blobs.get(metadataPath(store));
  if (bytes === undefined) return undefined;
  const json = parseJson(bytes, `${store} metadata`);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new StoreReadError(`${store} metadata is not a JSON object`);
  }
  return json as Json;
}

/** The bytes at a metadata `location`. */
export async function readLocation(blobs: BlobStore, location: unknown): Promise<Buffer> {
  const path = typeof location === 'string' ? pathOfLocation(location) : undefined;
  if (path === undefined) throw new StoreReadError('metadata location is missing or invalid');
  const bytes = await blobs.get(path);
  if (bytes === undefined) throw new StoreReadError(`no content at ${path}`);
  return bytes;
}

export interface JsonStoreSnapshot {
  readonly version: number | undefined;
  readonly records: unknown[];
}

/** The records of a JSON-array store; an absent store reads as empty (version undefined). */
export async function readJsonStore(blobs: BlobStore, store: JsonArrayStore): Promise<JsonStoreSnapshot> {
  const metadata = await readMetadata(blobs, store);
  if (metadata === undefined) return { version: undefined, records: [] };
  const ref = metadata[METADATA_KEYS[store]] as { location?: unknown } | undefined;
  const records = parseJson(await readLocation(blobs, ref?.location), `${store} content`);
  if (!Array.isArray(records)) throw new StoreReadError(`${store} content is not a JSON array`);
  const version = typeof metadata.version === 'number' ? metadata.version : undefined;
  return { version, records };
}
