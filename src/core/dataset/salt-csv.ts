/**
 * Writes salt files (spec operator-spec.md §6.3): one CSV line per bucket,
 * `id,lastUpdatedMs,currentSalt,refreshFromMs,previousSalt,curKeyId,curKey,curKeySalt,prevKeyId,prevKey,prevKeySalt`,
 * empty fields meaning null. Production has 2^20 buckets, so lines are built from one block of
 * random bytes and joined in large chunks: a full file takes about a second, not minutes.
 */
import { randomBytes, randomInt } from 'node:crypto';

const SALT_BYTES = 32;
const FIELDS = 11;
const CHUNK_LINES = 65536;
/** Upstream's sample salt files number their buckets from 1,000,000. */
export const FIRST_BUCKET_ID = 1_000_000;
const DAY_MS = 86_400_000;

/** Buckets are due for rotation a month after their last update (demo policy, not upstream's). */
function refreshFromOf(lastUpdatedMs: number): number {
  return (Math.floor(lastUpdatedMs / DAY_MS) + 30) * DAY_MS;
}

/** A new salt file of `count` salt-based buckets, all last updated at `nowMs`. */
export function generateSaltFile(count: number, nowMs: number): Buffer {
  const lastUpdated = Math.floor(nowMs);
  const tail = `,${lastUpdated},`;
  const refresh = `,${refreshFromOf(lastUpdated)},,,,,,,\n`;
  const chunks: Buffer[] = [];
  for (let start = 0; start < count; start += CHUNK_LINES) {
    const n = Math.min(CHUNK_LINES, count - start);
    const random = randomBytes(n * SALT_BYTES);
    const lines = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const salt = random.toString('base64', i * SALT_BYTES, (i + 1) * SALT_BYTES);
      lines[i] = `${FIRST_BUCKET_ID + start + i}${tail}${salt}${refresh}`;
    }
    chunks.push(Buffer.from(lines.join(''), 'latin1'));
  }
  return Buffer.concat(chunks);
}

/** `k` distinct random indexes out of `n` (partial Fisher-Yates over a sparse map). */
function sampleIndexes(n: number, k: number): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(n - i);
    const vi = swapped.get(i) ?? i;
    const vj = swapped.get(j) ?? j;
    swapped.set(j, vi);
    out.push(vj);
  }
  return out;
}

export interface SaltRotation {
  readonly file: Buffer;
  readonly size: number;
  readonly rotated: number;
}

/**
 * Gives `fraction` of the buckets of `file` a new salt, as upstream's salt rotation does: the old
 * current salt becomes `previousSalt`, `lastUpdated` becomes now. Other lines are kept verbatim.
 */
export function rotateSaltFile(file: Buffer, fraction: number, nowMs: number): SaltRotation {
  const text = file.toString('latin1');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const count = Math.min(lines.length, Math.max(0, Math.round(lines.length * fraction)));
  const now = Math.floor(nowMs);
  for (const index of sampleIndexes(lines.length, count)) {
    const fields = lines[index].split(',');
    while (fields.length < FIELDS) fields.push('');
    // Key-based (v4) buckets rotate their key material elsewhere; only salt-based ones here.
    if (fields[2] === '') continue;
    fields[4] = fields[2];
    fields[2] = randomBytes(SALT_BYTES).toString('base64');
    fields[1] = String(now);
    fields[3] = String(refreshFromOf(now));
    lines[index] = fields.join(',');
  }
  return { file: Buffer.from(`${lines.join('\n')}\n`, 'latin1'), size: lines.length, rotated: count };
}
