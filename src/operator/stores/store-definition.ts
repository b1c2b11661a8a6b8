/** How one store turns its metadata (and the files it names) into an immutable snapshot. */
import type { StoreName, StoreSource } from './store-source.ts';
import { metadataLocation, metadataVersion, parseJsonText } from './store-json.ts';

export interface Versioned {
  /** Metadata `version`; a reload happens only when it increases (spec §12.2). */
  readonly version: number;
  /** Number of entries, exported as a metric. */
  readonly entryCount: number;
}

export interface StoreDefinition<T extends Versioned> {
  readonly name: StoreName;
  load(metadata: unknown, source: StoreSource, nowMs: number): Promise<T>;
  /**
   * The version a metadata document stands for, when it is not the metadata's `version` field:
   * cloud encryption keys come inline without one and reload on every poll (spec §12.2).
   */
  version?(metadata: unknown, nowMs: number): number;
}

/** A store built from one JSON document: `build` makes its snapshot again from the same JSON. */
export interface JsonStoreDefinition<T extends Versioned> extends StoreDefinition<T> {
  build(json: unknown, version: number): T;
}

/** The JSON each snapshot of a single-file store was built from, for request threads to build it too. */
const sourceJson = new WeakMap<object, unknown>();

export function jsonSourceOf(snapshot: object): unknown {
  return sourceJson.get(snapshot);
}

/** A single-file JSON store: metadata `{version, <key>: {location}}` (spec §11 "Local mode"). */
export function jsonFileStore<T extends Versioned>(
  name: StoreName,
  metadataKey: string,
  build: (json: unknown, version: number) => T,
): JsonStoreDefinition<T> {
  return {
    name,
    build,
    async load(metadata, source) {
      const version = metadataVersion(metadata, name);
      const location = metadataLocation(metadata, metadataKey, name);
      const json = parseJsonText(await source.content(location), `${name} file`);
      const snapshot = build(json, version);
      sourceJson.set(snapshot, json);
      return snapshot;
    },
  };
}
