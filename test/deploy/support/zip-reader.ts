/**
 * Reads a ZIP written by src/azure/release/zip-archive.ts for the tests, from its central
 * directory (APPNOTE §4.3.12, §4.3.16), and checks every entry's CRC-32 and local header.
 * Stored entries only, as the writer makes them.
 */
import { crc32 } from 'node:zlib';

export interface ZipEntryRead {
  readonly name: string;
  readonly data: Buffer;
  /** Unix mode from the external attributes. */
  readonly mode: number;
  readonly method: number;
  readonly dosTime: number;
  readonly dosDate: number;
  readonly flags: number;
}

export function readZip(zip: Buffer): ZipEntryRead[] {
  const eocd = zip.length - 22;
  if (zip.readUInt32LE(eocd) !== 0x06054b50) throw new Error('no end-of-central-directory record (or a comment)');
  const count = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntryRead[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central header ${i}`);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const size = zip.readUInt32LE(p + 24);
    const nameLength = zip.readUInt16LE(p + 28);
    const extra = zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    if (zip.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const localName = zip.subarray(local + 30, local + 30 + zip.readUInt16LE(local + 26)).toString('utf8');
    if (localName !== name) throw new Error(`local name ${localName} != ${name}`);
    const start = local + 30 + nameLength + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    if (crc32(data) !== crc) throw new Error(`CRC mismatch for ${name}`);
    entries.push({ name, data, mode: zip.readUInt32LE(p + 38) >>> 16, method, dosTime: zip.readUInt16LE(p + 12), dosDate: zip.readUInt16LE(p + 14), flags: zip.readUInt16LE(p + 8) });
    p += 46 + nameLength + extra;
  }
  return entries;
}
