/**
 * Salt snapshots (spec §6.5, upstream `RotatingSaltProvider`). The metadata lists several salt
 * files, each with an `effective` time and an optional `expires` (default effective + 365 days
 * here; upstream uses load time + 365 d). Every file not yet expired at load is kept, so the file
 * in force can change with the clock without a reload.
 */
import { loadSaltFile, loadSealedSaltFile } from './salt-file-loader.ts';
import type { SaltTable } from './salt-table.ts';
import { bucketIndex, createBucketIdEncoder } from '../../protocol/salt-bucket.ts';
import type { StoreDefinition, Versioned } from './store-definition.ts';
import { StoreFormatError, asObject, asRecords, fields } from './store-json.ts';

const DEFAULT_LIFETIME_MS = 365 * 24 * 3600 * 1000;

export interface SaltFile {
  readonly effective: number;
  readonly expires: number;
  /** One line per bucket, held compactly (salt-table.ts). */
  readonly entries: SaltTable;
}

export interface SaltSnapshot extends Versioned {
  readonly firstLevelSalt: string;
  readonly idPrefix: string;
  /** Files sorted by `effective` ascending. */
  readonly files: readonly SaltFile[];
  /** Public bucket id of a salt entry id (spec §6.3). */
  readonly bucketId: (entryId: number) => string;
  /** The secret `bucketId` encodes with (kept to build the same encoder in request threads). */
  readonly idSecret: string;
}

/** A snapshot over salt files already loaded (a request thread's copy of the operator's). */
export function saltSnapshotOf(version: number, firstLevelSalt: string, idPrefix: string, idSecret: string, files: readonly SaltFile[], nowMs: number): SaltSnapshot {
  return Object.freeze({
    version,
    entryCount: saltFileAt(files, nowMs).entries.length,
    firstLevelSalt,
    idPrefix,
    idSecret,
    files: Object.freeze([...files]),
    bucketId: createBucketIdEncoder(idSecret, idPrefix),
  });
}

interface SaltFileRef {
  readonly effective: number;
  readonly expires: number;
  readonly location: string;
  readonly size: number | undefined;
}

export interface SaltMetadata {
  readonly version: number;
  readonly firstLevelSalt: string;
  readonly idPrefix: string;
  readonly idSecret: string;
  readonly files: readonly SaltFileRef[];
}

export function parseSaltMetadata(json: unknown): SaltMetadata {
  const o = asObject(json, 'salts metadata');
  const f = fields(o, 'salts metadata');
  const files = asRecords(o.salts, 'salts metadata.salts').map((s, i) => {
    const g = fields(s, `salts metadata.salts[${i}]`);
    const effective = g.int('effective');
    return { effective, expires: g.optInt('expires') ?? effective + DEFAULT_LIFETIME_MS, location: g.str('location'), size: g.optInt('size') };
  });
  if (files.length === 0) throw new StoreFormatError('salts metadata.salts: no salt files listed');
  files.sort((a, b) => a.effective - b.effective);
  return { version: f.int('version'), firstLevelSalt: f.str('first_level'), idPrefix: f.str('id_prefix'), idSecret: f.str('id_secret'), files };
}

/** Last file (by effective) with effective ≤ now < expires; if none, the latest one (spec §6.5). */
export function saltFileAt<T extends { effective: number; expires: number }>(files: readonly T[], nowMs: number): T {
  let chosen: T | undefined;
  for (const file of files) if (file.effective <= nowMs && nowMs < file.expires) chosen = file;
  return chosen ?? files[files.length - 1];
}

/** True when no salt file is in force: every one has expired (startup refuses, spec §11). */
export function areAllSaltsExpired(snapshot: SaltSnapshot, nowMs: number): boolean {
  return snapshot.files.every((f) => f.expires <= nowMs);
}

/**
 * The salt file in force at `nowMs` and the line (bucket) of a first-level hash in it (spec §6.2).
 * Callers read the line through the table's accessors, or decode it with `entries.at(line)`.
 */
export function saltLineFor(snapshot: SaltSnapshot, flh: Uint8Array, nowMs: number): { entries: SaltTable; line: number } {
  const { entries } = saltFileAt(snapshot.files, nowMs);
  return { entries, line: bucketIndex(flh, entries.length) };
}

export const saltStore: StoreDefinition<SaltSnapshot> = {
  name: 'salts',
  async load(metadata, source, nowMs) {
    const meta = parseSaltMetadata(metadata);
    const live = meta.files.filter((f) => f.expires > nowMs);
    const wanted = live.length > 0 ? live : [meta.files[meta.files.length - 1]];
    const files = await Promise.all(
      wanted.map(async (ref) => {
        // Issue 7: the metadata `size` is checked, so a salt file truncated at a line end is
        // refused instead of served as a smaller bucket set (every raw UID would change).
        // An encrypted file is decrypted and parsed in one job (salt-file-loader.ts).
        const entries = source.sealedContent
          ? await loadSealedSaltFile(await source.sealedContent(ref.location), ref.size)
          : await loadSaltFile(await source.content(ref.location), ref.size);
        return Object.freeze({ effective: ref.effective, expires: ref.expires, entries });
      }),
    );
    return saltSnapshotOf(meta.version, meta.firstLevelSalt, meta.idPrefix, meta.idSecret, files, nowMs);
  },
};
