/**
 * Production-scale data for the benchmark: 2^20 salt buckets (the demo data set's default) and
 * opt-out partition files of 72-byte records (spec §10.2) listed in a local opt-out metadata
 * (`optout_metadata_path`, the format of OptOut's /optout/refresh, spec §12.2), plus a salt
 * rotation written the way Core publishes one (new file, higher metadata version).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rotateSaltFile } from '../src/core/dataset/salt-csv.ts';
import { OPTOUT_RECORD_SIZE } from '../src/protocol/optout-record.ts';

export const OPTOUT_METADATA_PATH = '/optout/metadata.json';
const RECORDS_PER_FILE = 1_000_000;
const DAY_S = 86_400;

function partitionName(index: number, nowS: number): string {
  const ts = new Date((nowS - index * DAY_S) * 1000).toISOString().replace(/:/g, '.');
  return `optout-partition-999_${ts}_${randomBytes(4).toString('hex')}.dat`;
}

/**
 * Writes `entries` opt-out records over ceil(entries / 1M) partition files. Identity hashes are
 * unique and ascending (partitions are sorted, spec §10.2): the first 4 bytes spread the index
 * evenly over 2^32, the rest is random. Advertising ids are random 32-byte (v2) ids.
 */
export function writeOptOutPartitions(dataDir: string, entries: number): { files: number; bytes: number } {
  const dir = join(dataDir, 'optout');
  mkdirSync(dir, { recursive: true });
  const nowS = Math.floor(Date.now() / 1000);
  const logs: unknown[] = [];
  let written = 0;
  for (let f = 0; written < entries; f++) {
    const n = Math.min(RECORDS_PER_FILE, entries - written);
    const buf = randomBytes(n * OPTOUT_RECORD_SIZE);
    for (let i = 0; i < n; i++) {
      const off = i * OPTOUT_RECORD_SIZE;
      buf.writeUInt32BE(Math.floor(((written + i) * 2 ** 32) / entries), off);
      // Timestamp (low 56 bits LE) within the last 30 days; metadata byte 0 = 32-byte ad id.
      buf.writeUInt32LE(nowS - ((written + i) % (30 * DAY_S)), off + 64);
      buf.writeUInt32LE(0, off + 68);
    }
    const name = partitionName(f, nowS);
    writeFileSync(join(dir, name), buf);
    logs.push({ type: 'partition', from: nowS - (f + 1) * DAY_S, to: nowS - f * DAY_S, location: `/optout/${name}` });
    written += n;
  }
  writeFileSync(join(dataDir, OPTOUT_METADATA_PATH), JSON.stringify({ version: 1, generated: nowS, optout_logs: logs }));
  return { files: logs.length, bytes: entries * OPTOUT_RECORD_SIZE };
}

/**
 * Prepares a new salt snapshot that rotates `fraction` of the buckets (upstream rotates about
 * 1/365 a day) and returns the function that publishes it: the metadata, with a higher version,
 * replaces the old one by rename, so the operator's poll never reads a half-written file. The
 * expensive part (reading, rotating and writing ~90 MB) happens here, before the measured run.
 */
export function prepareSaltRotation(dataDir: string, fraction: number): () => number {
  const metaPath = join(dataDir, 'stores/salts/metadata.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  const last = meta.salts[meta.salts.length - 1];
  const now = Date.now();
  const rotated = rotateSaltFile(readFileSync(join(dataDir, last.location)), fraction, now);
  const location = `/stores/salts/salts.txt.${now}`;
  writeFileSync(join(dataDir, location), rotated.file);
  const version = Math.max(meta.version + 1, now);
  const next = { ...meta, version, generated: Math.floor(now / 1000), salts: [{ effective: now - 1000, expires: last.expires, location, size: rotated.size }] };
  writeFileSync(`${metaPath}.next`, JSON.stringify(next));
  return () => {
    renameSync(`${metaPath}.next`, metaPath);
    return version;
  };
}
