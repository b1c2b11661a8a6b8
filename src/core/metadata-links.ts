/**
 * Turns stored metadata into what Core serves (spec operator-spec.md §12.2, upstream
 * `MetadataProvider`): every `location` becomes a time-limited download link from the BlobStore,
 * so the operator fetches content with a plain GET. With `Encrypted: true` and a cloud key for
 * the operator's site (§12.3) the link points at an encrypted copy
 * `{"key_id", "encrypted_payload": base64(IV ‖ ct ‖ tag)}`, made once per key and file.
 */
import type { BlobStore } from '../storage/blob-store.ts';
import { encryptCloudFile } from '../protocol/cloud-encrypted-file.ts';
import { pathOfLocation } from './stores/store-layout.ts';
import { StoreReadError } from './stores/store-reader.ts';

export interface CloudKey {
  readonly id: number;
  readonly siteId: number;
  readonly activates: number;
  readonly secret: Buffer;
}

/** Cloud encryption key records use `siteId` in upstream files and `site_id` in some docs. */
export function parseCloudKeys(records: readonly unknown[]): CloudKey[] {
  const out: CloudKey[] = [];
  for (const r of records) {
    const o = (r ?? {}) as Record<string, unknown>;
    const siteId = typeof o.siteId === 'number' ? o.siteId : o.site_id;
    const secret = typeof o.secret === 'string' ? Buffer.from(o.secret, 'base64') : Buffer.alloc(0);
    if (typeof o.id === 'number' && typeof siteId === 'number' && typeof o.activates === 'number' && secret.length === 32) {
      out.push({ id: o.id, siteId, activates: o.activates, secret });
    }
  }
  return out;
}

/** The site's key with the latest `activates` (epoch s) not after now. */
export function activeCloudKey(keys: readonly CloudKey[], siteId: number | undefined, nowMs: number): CloudKey | undefined {
  let best: CloudKey | undefined;
  for (const k of keys) {
    if (k.siteId !== siteId || k.activates * 1000 > nowMs) continue;
    if (!best || k.activates > best.activates || (k.activates === best.activates && k.id > best.id)) best = k;
  }
  return best;
}

export interface LinkOptions {
  readonly ttlSeconds: number;
  readonly encryptWith?: CloudKey;
}

async function encryptedCopy(blobs: BlobStore, path: string, key: CloudKey): Promise<string> {
  const target = `encrypted/${key.siteId}/${key.id}/${path}`;
  // Content files are immutable (versioned names), so an existing copy is still correct.
  if ((await blobs.list(target)).includes(target)) return target;
  const plain = await blobs.get(path);
  if (plain === undefined) throw new StoreReadError(`no content at ${path}`);
  await blobs.put(target, encryptCloudFile(key, plain));
  return target;
}

async function link(blobs: BlobStore, location: string, options: LinkOptions): Promise<string> {
  const path = pathOfLocation(location);
  if (path === undefined) throw new StoreReadError('metadata location is invalid');
  const served = options.encryptWith ? await encryptedCopy(blobs, path, options.encryptWith) : path;
  return blobs.signedUrl(served, options.ttlSeconds);
}

/** A copy of `metadata` with each `location` string replaced by a download link. */
export async function withSignedLocations(blobs: BlobStore, metadata: unknown, options: LinkOptions): Promise<unknown> {
  if (Array.isArray(metadata)) return Promise.all(metadata.map((m) => withSignedLocations(blobs, m, options)));
  if (typeof metadata !== 'object' || metadata === null) return metadata;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(metadata)) {
    out[k] = k === 'location' && typeof v === 'string' ? await link(blobs, v, options) : await withSignedLocations(blobs, v, options);
  }
  return out;
}
