/**
 * Cloud encryption keys (spec operator-spec.md §12.2-§12.3): the AES-256 keys of the operator's
 * site that decrypt store files when `encrypted_files=true`. Core serves them inline at
 * `/cloud_encryption_keys/retrieve` as `{"cloud_encryption_keys":[{id, siteId|site_id, activates,
 * created, secret}]}` without a version, so they reload on every poll; the upstream local layout
 * (`{version, cloud_encryption_keys: {location}}`) names a file with the same records.
 */
import { isBase64 } from '../../protocol/base64.ts';
import type { StoreDefinition, Versioned } from './store-definition.ts';
import { asObject, indexBy, metadataLocation, metadataVersion, parseJsonText, parseRecords, StoreFormatError } from './store-json.ts';

export interface CloudKey {
  readonly id: number;
  readonly siteId: number;
  /** Epoch seconds. */
  readonly activates: number;
  readonly secret: Buffer;
}

export interface CloudKeySnapshot extends Versioned {
  readonly byId: ReadonlyMap<number, CloudKey>;
}

const METADATA_KEY = 'cloud_encryption_keys';

export function buildCloudKeySnapshot(json: unknown, version: number): CloudKeySnapshot {
  const keys = parseRecords(json, METADATA_KEY, (f, o, where): CloudKey => {
    const siteId = o.siteId !== undefined ? f.int('siteId') : f.int('site_id');
    const secretText = f.str('secret');
    const secret = isBase64(secretText) ? Buffer.from(secretText, 'base64') : Buffer.alloc(0);
    if (secret.length !== 32) throw new StoreFormatError(`${where}.secret: expected 32 bytes of base64`);
    return { id: f.int('id'), siteId, activates: f.int('activates'), secret };
  });
  const byId = indexBy(keys, (k) => k.id);
  return Object.freeze({ version, entryCount: byId.size, byId });
}

function inlineKeys(metadata: unknown): unknown[] | undefined {
  const list = asObject(metadata, `${METADATA_KEY} metadata`)[METADATA_KEY];
  return Array.isArray(list) ? list : undefined;
}

export const cloudKeyStore: StoreDefinition<CloudKeySnapshot> = {
  name: 'cloud_encryption_keys',
  // Inline keys carry no version: each poll is a new one ("version = now", §12.2).
  version: (metadata, nowMs) => (inlineKeys(metadata) !== undefined ? nowMs : metadataVersion(metadata, METADATA_KEY)),
  async load(metadata, source, nowMs) {
    const inline = inlineKeys(metadata);
    if (inline !== undefined) return buildCloudKeySnapshot(inline, nowMs);
    const location = metadataLocation(metadata, METADATA_KEY, METADATA_KEY);
    return buildCloudKeySnapshot(parseJsonText(await source.content(location), `${METADATA_KEY} file`), metadataVersion(metadata, METADATA_KEY));
  },
};
