/**
 * The opt-out log of this replica: the open delta (a local `DeltaLog`), its uploads to the
 * `BlobStore`, rotation, and housekeeping (`log-maintenance.ts`).
 *
 * Publishing the delta in progress (issue 4): operators sync by downloading files they do not
 * have yet (upstream `OptOutCloudSync`), so a growing delta must not be re-uploaded under one
 * name. Each publish uploads the acknowledged records so far as a new snapshot whose suffix is
 * its record count; refresh lists only the newest snapshot of a delta, and the previous one is
 * kept until the next publish so a link handed out just before stays valid. A publish runs
 * every `publishIntervalMs` when the delta changed, and before each `/optout/refresh` answer, so
 * an acknowledged opt-out is visible to the next refresh.
 *
 * Rotation: every `deltaRotateIntervalS` a new local file is opened, the old one is closed (its
 * queued records flushed), uploaded under its final name, and only then removed locally.
 * Startup recovery finalizes leftover local files the same way and keeps appending to the newest.
 * All store mutations run one at a time on `serial`.
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../storage/blob-store.ts';
import { OPTOUT_RECORD_SIZE, encodeOptOutRecord } from '../protocol/optout-record.ts';
import { DeltaLog, DeltaLogClosedError } from './delta-log.ts';
import { buildCatalog, fileKey, refreshEntries, type OptOutLogEntry } from './log-catalog.ts';
import { compactDeltas, expireFiles, removeSuperseded, type MaintenanceContext } from './log-maintenance.ts';
import { OPTOUT_BLOB_PREFIX, optOutBlobPath, parseOptOutBlobPath } from './optout-file-name.ts';
import type { OptOutConfig } from './optout-config.ts';

export type OptOutLogConfig = Pick<OptOutConfig, 'deltaRotateIntervalS' | 'partitionIntervalS' | 'maxPartitions' | 'replicaId'>;

export interface OptOutLogOptions {
  readonly store: BlobStore;
  /** Local directory of the open delta files (`DIR/optout/pending`). */
  readonly pendingDir: string;
  readonly config: OptOutLogConfig;
  /** Clock in ms, injectable for tests. */
  readonly now?: () => number;
}

const PENDING_FILE = /^([0-9]{1,12})\.delta$/;

export class OptOutLog {
  private current!: DeltaLog;
  private currentStartS = 0;
  private publishedCount = 0;
  private previousPublished: string | undefined;
  private listing: readonly string[] = [];
  private version = 0;
  private serialTail: Promise<unknown> = Promise.resolve();
  private queuedPublish: Promise<void> | undefined;
  private readonly now: () => number;

  private constructor(private readonly options: OptOutLogOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Recovers local files left by a previous run and opens the delta to append to. */
  static async open(options: OptOutLogOptions): Promise<OptOutLog> {
    const log = new OptOutLog(options);
    await mkdir(options.pendingDir, { recursive: true });
    const starts = (await readdir(options.pendingDir))
      .map((n) => PENDING_FILE.exec(n)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    await log.relist();
    for (const start of starts.slice(0, -1)) await log.finalize(start);
    const newest = starts.at(-1);
    await log.openDelta(newest ?? log.nowS());
    await log.relist();
    return log;
  }

  private nowS(): number {
    return Math.floor(this.now() / 1000);
  }

  private pendingPath(startS: number): string {
    return join(this.options.pendingDir, `${startS}.delta`);
  }

  private async openDelta(startS: number): Promise<void> {
    this.current = await DeltaLog.open(this.pendingPath(startS));
    this.currentStartS = startS;
    this.publishedCount = 0;
    this.previousPublished = undefined;
  }

  private serial<T>(job: () => Promise<T>): Promise<T> {
    const run = this.serialTail.then(job, job);
    this.serialTail = run.catch(() => undefined);
    return run;
  }

  /** Appends an opt-out; resolves with its timestamp (epoch s) once it is durable. */
  async add(identityHash: Buffer, advertisingId: Buffer): Promise<number> {
    const timestampS = this.nowS();
    const record = encodeOptOutRecord({ identityHash, advertisingId, timestampS });
    for (;;) {
      try {
        await this.current.append(record);
        return timestampS;
      } catch (err) {
        // Rotation swapped files between our read of `current` and the append: use the new one.
        if (!(err instanceof DeltaLogClosedError)) throw err;
      }
    }
  }

  /** Uploads the open delta if it changed since its last upload. Concurrent calls coalesce. */
  publish(): Promise<void> {
    this.queuedPublish ??= this.serial(async () => {
      this.queuedPublish = undefined;
      await this.publishOpenDelta();
    });
    return this.queuedPublish;
  }

  /** Rotation, compaction, expiry and cleanup when due, then a publish. */
  tick(): Promise<void> {
    return this.serial(async () => {
      if (this.nowS() >= this.currentStartS + this.options.config.deltaRotateIntervalS) await this.rotate();
      const ctx = (): MaintenanceContext => ({
        store: this.options.store,
        catalog: buildCatalog(this.listing),
        nowS: this.nowS(),
        replicaId: this.options.config.replicaId,
        partitionIntervalS: this.options.config.partitionIntervalS,
        maxPartitions: this.options.config.maxPartitions,
        openDeltaKey: this.openDeltaKey(),
      });
      if (await compactDeltas(ctx())) await this.relist();
      if (await expireFiles(ctx())) await this.relist();
      if (await removeSuperseded(ctx())) await this.relist();
      await this.publishOpenDelta();
    });
  }

  /** Files a refresh lists, and a version that grows whenever the published set changes. */
  entries(): { version: number; entries: OptOutLogEntry[] } {
    return { version: this.version, entries: refreshEntries(buildCatalog(this.listing), this.options.config.deltaRotateIntervalS) };
  }

  /** Flushes queued records and closes the local file; the delta is finalized on the next start. */
  async close(): Promise<void> {
    await this.serial(async () => this.current.close());
  }

  private openDeltaKey(): string {
    return `delta/${this.options.config.replicaId}/${this.currentStartS}`;
  }

  private async relist(): Promise<void> {
    const next = await this.options.store.list(OPTOUT_BLOB_PREFIX);
    if (this.version === 0 || next.join('\n') !== this.listing.join('\n')) {
      this.version = Math.max(this.version + 1, this.nowS());
    }
    this.listing = next;
  }

  private async publishOpenDelta(): Promise<void> {
    if (this.current.recordCount === this.publishedCount) return;
    const data = await this.current.read();
    const count = data.length / OPTOUT_RECORD_SIZE;
    if (count === 0 || count === this.publishedCount) return;
    const path = optOutBlobPath('delta', this.options.config.replicaId, this.currentStartS, count);
    await this.options.store.put(path, data);
    // Keep the snapshot before this one (links to it may be in flight); drop anything older.
    const keep = new Set([path, this.previousPublished]);
    for (const p of this.listing) {
      const f = parseOptOutBlobPath(p);
      if (f && fileKey(f) === this.openDeltaKey() && !keep.has(p)) await this.options.store.delete(p);
    }
    this.previousPublished = path;
    this.publishedCount = count;
    await this.relist();
  }

  private async rotate(): Promise<void> {
    const old = this.current;
    const oldStart = this.currentStartS;
    await this.openDelta(Math.max(this.nowS(), oldStart + 1));
    await old.close();
    await this.finalize(oldStart);
    await this.relist();
  }

  /** Uploads a closed local delta under its final name, then removes it locally (idempotent). */
  private async finalize(startS: number): Promise<void> {
    const file = this.pendingPath(startS);
    const raw = await readFile(file);
    const data = raw.subarray(0, raw.length - (raw.length % OPTOUT_RECORD_SIZE));
    const key = `delta/${this.options.config.replicaId}/${startS}`;
    const finalPath = optOutBlobPath('delta', this.options.config.replicaId, startS, data.length / OPTOUT_RECORD_SIZE);
    if (data.length > 0) await this.options.store.put(finalPath, data);
    for (const p of this.listing) {
      const f = parseOptOutBlobPath(p);
      if (f && fileKey(f) === key && p !== finalPath) await this.options.store.delete(p);
    }
    await unlink(file);
  }
}
