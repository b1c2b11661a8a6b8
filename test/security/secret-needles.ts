/**
 * The secrets of a data set and a run, as "needles" to look for in captured logs (issue 7 §6):
 * API key and client secret, operator key, keyset key secrets, CSTG private keys, salts (first
 * level, id secret, every bucket salt), plus whatever a test adds (tokens, raw identities, raw
 * UIDs). Each value is searched in the encodings a careless log line could use.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Needle {
  readonly label: string;
  readonly value: string;
}

/** Values shorter than this would match by chance; none of our secrets is that short. */
const MIN_LENGTH = 10;

export class NeedleSet {
  private readonly needles = new Map<string, string>();

  add(label: string, value: string | Buffer | undefined | null): void {
    if (value === undefined || value === null) return;
    const forms = Buffer.isBuffer(value) ? [value.toString('base64'), value.toString('base64url'), value.toString('hex')] : [value, encodeURIComponent(value)];
    for (const form of forms) if (form.length >= MIN_LENGTH && !this.needles.has(form)) this.needles.set(form, label);
  }

  get size(): number {
    return this.needles.size;
  }

  /** Every needle found in `text`, with where. */
  findIn(text: string, where: string): string[] {
    const found: string[] = [];
    for (const [value, label] of this.needles) if (text.includes(value)) found.push(`${where}: ${label} (${value.slice(0, 6)}…)`);
    return found;
  }
}

async function storeFile(dir: string, store: string): Promise<string> {
  const meta = JSON.parse(await readFile(join(dir, 'stores', store, 'metadata.json'), 'utf8'));
  const location = JSON.stringify(meta).match(/"location"\s*:\s*"([^"]+)"/)?.[1];
  if (!location) throw new Error(`no location in ${store} metadata`);
  return readFile(join(dir, location), 'utf8');
}

/** The secrets a `uid2 init` data set holds. */
export async function datasetNeedles(dir: string, needles = new NeedleSet()): Promise<NeedleSet> {
  const client = JSON.parse(await readFile(join(dir, 'demo-client.json'), 'utf8'));
  needles.add('api key', client.api_key);
  needles.add('client secret', client.secret);
  needles.add('operator key', (await readFile(join(dir, 'operator-key.txt'), 'utf8')).trim());
  const salts = JSON.parse(await readFile(join(dir, 'stores', 'salts', 'metadata.json'), 'utf8'));
  needles.add('first-level salt', salts.first_level);
  needles.add('salt id secret', salts.id_secret);
  for (const line of (await storeFile(dir, 'salts')).split('\n').filter(Boolean)) needles.add('bucket salt', line.split(',')[2]);
  for (const key of JSON.parse(await storeFile(dir, 'keyset_keys'))) needles.add(`key ${key.id} secret`, key.secret);
  for (const pair of JSON.parse(await storeFile(dir, 'client_side_keypairs'))) needles.add('CSTG private key', pair.private_key);
  return needles;
}

/** Every file under `dir` (recursively) as text. */
export async function readTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
    out.set(path, await readFile(path, 'utf8'));
  }
  return out;
}
