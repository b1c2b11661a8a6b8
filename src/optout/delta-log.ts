/**
 * The local, append-only file of the delta in progress (under `DIR/optout/pending/`). An
 * opt-out is acknowledged only after its 72-byte record is written and fsynced here, so it
 * survives a crash before the delta is uploaded (issue 4: durability).
 *
 * Group commit: records that arrive while a write+fsync is running are queued and written
 * together by the next one, so N concurrent requests cost about one fsync, not N.
 * Recovery: reopening a file truncates a torn final record (a partial 72 bytes); every record
 * that was acknowledged was fully written before its fsync, so none is lost.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { OPTOUT_RECORD_SIZE } from '../protocol/optout-record.ts';

interface Pending {
  readonly record: Buffer;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class DeltaLogClosedError extends Error {
  readonly code = 'ERR_DELTA_LOG_CLOSED';

  constructor() {
    super('delta log is closed');
    this.name = 'DeltaLogClosedError';
  }
}

export class DeltaLog {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private syncs = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** Bytes written and fsynced. */
    private durableSize: number,
  ) {}

  /** Opens (creating if needed) the file at `path`, truncating a torn final record. */
  static async open(path: string): Promise<DeltaLog> {
    const handle = await open(path, 'a+', 0o600);
    try {
      const { size } = await handle.stat();
      const whole = size - (size % OPTOUT_RECORD_SIZE);
      if (whole !== size) {
        await handle.truncate(whole);
        await handle.sync();
      }
      return new DeltaLog(path, handle, whole);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Number of write+fsync batches so far (group commit makes this far below the record count). */
  get syncCount(): number {
    return this.syncs;
  }

  get recordCount(): number {
    return this.durableSize / OPTOUT_RECORD_SIZE;
  }

  /** Resolves once `record` is durably on disk. */
  append(record: Buffer): Promise<void> {
    if (record.length !== OPTOUT_RECORD_SIZE) return Promise.reject(new Error('opt-out record must be 72 bytes'));
    if (this.closed) return Promise.reject(new DeltaLogClosedError());
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const bytes = Buffer.concat(batch.map((p) => p.record));
          // 'a+' appends whatever the position; a failed batch is never acknowledged.
          let written = 0;
          while (written < bytes.length) {
            const r = await this.handle.write(bytes, written, bytes.length - written);
            written += r.bytesWritten;
          }
          await this.handle.datasync();
          this.syncs++;
          this.durableSize += bytes.length;
          for (const p of batch) p.resolve();
        } catch (err) {
          for (const p of batch) p.reject(err as Error);
          // Resynchronise the bookkeeping with what is actually on disk.
          this.durableSize = (await this.handle.stat().catch(() => ({ size: this.durableSize }))).size;
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** The acknowledged records, as a file body. */
  async read(): Promise<Buffer> {
    const size = this.durableSize;
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const r = await this.handle.read(buf, read, size - read, read);
      if (r.bytesRead === 0) break;
      read += r.bytesRead;
    }
    return buf.subarray(0, read - (read % OPTOUT_RECORD_SIZE));
  }

  /** Waits for queued records, then closes the file. Later appends are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }
}
