/**
 * A reproducible ZIP writer for the release packages: the same entries give the same bytes, on
 * any machine and any Node.js version.
 *
 * - Entries are sorted by name and **stored** (method 0). Deflate output depends on the zlib build.
 *   The release files are small text files, a few hundred KB in all, so compression saves
 *   little and would cost that guarantee.
 * - Every entry has the same DOS time (1980-01-01 00:00, the earliest a ZIP can hold), the UTF-8
 *   name flag, Unix mode 0644 (0755 when `executable`), and no extra fields or comments.
 * - Directories are implied by the names (`kustomize/base/x.yaml`); unzip creates them.
 *
 * Layout (PKWARE APPNOTE 6.3.10 §4.3.7, §4.3.12, §4.3.16), all integers little-endian:
 * | record                    | size    | fields                                                   |
 * | local file header         | 30 + n  | sig 04034b50, need, flags, method, time, date, crc32,    |
 * |                           |         | compressed size, size, name length, extra length, name   |
 * | file data                 | size    | the bytes, stored                                        |
 * | central directory header  | 46 + n  | sig 02014b50, made by, need, flags, method, time, date,  |
 * |                           |         | crc32, sizes, name/extra/comment lengths, disk, internal |
 * |                           |         | and external attributes, local header offset, name       |
 * | end of central directory  | 22      | sig 06054b50, disks, entry counts, directory size and    |
 * |                           |         | offset, comment length                                   |
 * No ZIP64: an archive over 4 GiB or 65,535 entries is refused.
 */
import { crc32 } from 'node:zlib';

export interface ZipEntry {
  /** Relative path with forward slashes, e.g. `kustomize/base/deployment.yaml`. */
  readonly name: string;
  readonly data: Buffer | string;
  readonly executable?: boolean;
}

export class ZipArchiveError extends Error {
  override readonly name = 'ZipArchiveError';
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** 1.0: stored entries need nothing newer. */
const VERSION_NEEDED = 10;
/** Host system 3 (Unix) in the high byte, so unzip applies the mode bits; spec version 2.0. */
const VERSION_MADE_BY = (3 << 8) | 20;
const FLAG_UTF8_NAME = 0x0800;
const METHOD_STORED = 0;
const DOS_TIME = 0;
/** (1980 - 1980) << 9 | month 1 << 5 | day 1. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const MAX_U32 = 0xffffffff;
const MAX_ENTRIES = 0xffff;

function checkName(name: string): void {
  const parts = name.split('/');
  const bad = name === '' || name.includes('\\') || name.includes('\0') || parts.some((p) => p === '' || p === '.' || p === '..');
  if (bad) throw new ZipArchiveError(`invalid entry name ${JSON.stringify(name)}: use a relative path with forward slashes`);
}

function localHeader(name: Buffer, crc: number, size: number): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(LOCAL_HEADER, 0);
  h.writeUInt16LE(VERSION_NEEDED, 4);
  h.writeUInt16LE(FLAG_UTF8_NAME, 6);
  h.writeUInt16LE(METHOD_STORED, 8);
  h.writeUInt16LE(DOS_TIME, 10);
  h.writeUInt16LE(DOS_DATE, 12);
  h.writeUInt32LE(crc, 14);
  h.writeUInt32LE(size, 18);
  h.writeUInt32LE(size, 22);
  h.writeUInt16LE(name.length, 26);
  h.writeUInt16LE(0, 28);
  return Buffer.concat([h, name]);
}

function centralHeader(name: Buffer, crc: number, size: number, mode: number, offset: number): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(CENTRAL_HEADER, 0);
  h.writeUInt16LE(VERSION_MADE_BY, 4);
  h.writeUInt16LE(VERSION_NEEDED, 6);
  h.writeUInt16LE(FLAG_UTF8_NAME, 8);
  h.writeUInt16LE(METHOD_STORED, 10);
  h.writeUInt16LE(DOS_TIME, 12);
  h.writeUInt16LE(DOS_DATE, 14);
  h.writeUInt32LE(crc, 16);
  h.writeUInt32LE(size, 20);
  h.writeUInt32LE(size, 24);
  h.writeUInt16LE(name.length, 28);
  // extra length, comment length, disk number start, internal attributes: all 0 (30..37)
  h.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
  h.writeUInt32LE(offset, 42);
  return Buffer.concat([h, name]);
}

function endOfCentralDirectory(count: number, size: number, offset: number): Buffer {
  const h = Buffer.alloc(22);
  h.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  // this disk, disk with the directory: 0 (4..7)
  h.writeUInt16LE(count, 8);
  h.writeUInt16LE(count, 10);
  h.writeUInt32LE(size, 12);
  h.writeUInt32LE(offset, 16);
  return h;
}

/** The archive's bytes: entries sorted by name, every variable field fixed. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  if (entries.length > MAX_ENTRIES) throw new ZipArchiveError(`too many entries (${entries.length}; at most ${MAX_ENTRIES})`);
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [i, entry] of sorted.entries()) {
    checkName(entry.name);
    if (i > 0 && sorted[i - 1].name === entry.name) throw new ZipArchiveError(`duplicate entry ${entry.name}`);
    const name = Buffer.from(entry.name, 'utf8');
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
    const crc = crc32(data);
    const local = localHeader(name, crc, data.length);
    centrals.push(centralHeader(name, crc, data.length, entry.executable ? 0o755 : 0o644, offset));
    locals.push(local, data);
    offset += local.length + data.length;
    if (offset > MAX_U32) throw new ZipArchiveError('archive larger than 4 GiB');
  }
  const directory = Buffer.concat(centrals);
  if (offset + directory.length > MAX_U32) throw new ZipArchiveError('archive larger than 4 GiB');
  return Buffer.concat([...locals, directory, endOfCentralDirectory(sorted.length, directory.length, offset)]);
}
