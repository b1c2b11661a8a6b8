/**
 * Key and salt rotation. Rotated material is added, never replaced in place: old keys stay so
 * tokens they encrypted still decrypt (spec operator-spec.md §8.2), and rotated buckets keep
 * their old salt as `previousSalt` (§6.4, used for map v3's previous UID).
 */
import type { BlobStore } from '../../storage/blob-store.ts';
import { keysetKeyRecord, MASTER_KEYSET_ID, REFRESH_KEYSET_ID, type KeysetKeyRecord, type KeysetRecord } from '../dataset/records.ts';
import { rotateSaltFile } from '../dataset/salt-csv.ts';
import { readJsonStore, readLocation, readMetadata } from '../stores/store-reader.ts';
import { writeJsonStore, writeSaltSnapshot, type SaltSnapshotRef } from '../stores/store-writer.ts';
import { AdminError } from './admin-records.ts';

/**
 * Adds one key, active now, to the master and refresh keysets and to every enabled default
 * keyset of a site (site keys, including the fallback site 2). Returns the new key ids.
 */
export async function rotateKeys(blobs: BlobStore, nowMs: number): Promise<number[]> {
  const keysets = (await readJsonStore(blobs, 'keysets')).records as KeysetRecord[];
  const keys = (await readJsonStore(blobs, 'keyset_keys')).records as KeysetKeyRecord[];
  const targets = keysets.filter(
    (k) => k.keyset_id === MASTER_KEYSET_ID || k.keyset_id === REFRESH_KEYSET_ID || (k.enabled && k.default),
  );
  let nextId = Math.max(0, ...keys.map((k) => Number(k.id)).filter(Number.isSafeInteger)) + 1;
  const nowS = Math.floor(nowMs / 1000);
  const added = targets.map((k) => keysetKeyRecord(nextId++, k.keyset_id, nowS, nowS));
  await writeJsonStore(blobs, 'keyset_keys', [...keys, ...added], nowMs);
  return added.map((k) => k.id);
}

/** Snapshots listed after a rotation: the previous one stays so in-flight readers can finish. */
const SNAPSHOTS_KEPT = 1;

/**
 * A new salt snapshot, effective now, in which `fraction` of the buckets have new salts
 * (lastUpdated = now, the old salt kept as previousSalt). Returns how many buckets rotated.
 */
export async function rotateSalts(blobs: BlobStore, fraction: number, nowMs: number): Promise<number> {
  if (!(fraction >= 0 && fraction <= 1)) throw new AdminError('fraction must be between 0 and 1');
  const metadata = await readMetadata(blobs, 'salts');
  const snapshots = (metadata?.salts ?? []) as SaltSnapshotRef[];
  if (!metadata || snapshots.length === 0) throw new AdminError('the data set has no salts');
  const current = [...snapshots].sort((a, b) => a.effective - b.effective).filter((s) => s.effective <= nowMs).pop() ?? snapshots[0];
  const rotation = rotateSaltFile(await readLocation(blobs, current.location), fraction, nowMs);
  const effective = Math.max(Math.floor(nowMs), current.effective + 1);
  await writeSaltSnapshot(
    blobs,
    { first_level: String(metadata.first_level), id_prefix: String(metadata.id_prefix), id_secret: String(metadata.id_secret) },
    rotation.file,
    rotation.size,
    { effective, expires: current.expires },
    snapshots.filter((s) => s.location === current.location).slice(-SNAPSHOTS_KEPT),
    nowMs,
  );
  return rotation.rotated;
}
