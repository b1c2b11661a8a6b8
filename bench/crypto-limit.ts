/**
 * The crypto limit of identity mapping on one core: how many SHA-256 compression blocks this CPU
 * runs per second (`openssl speed`, 64-byte inputs, one process), divided by the blocks one
 * mapped email needs. A mapped email hashes (spec §5, §6.1, §6.4):
 *   1. SHA-256(UTF-8 normalized email)                 -> ceil((len + 9) / 64) blocks
 *   2. first-level hash: base64(32 B) = 44 chars + first-level salt
 *   3. raw UID v2: base64(FLH) = 44 chars + bucket salt (and again for a previous salt, if any)
 * The "+ 9" is SHA-256's padding: one 0x80 byte and the 8-byte length.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';

export function sha256Blocks(byteLength: number): number {
  return Math.ceil((byteLength + 9) / 64);
}

export interface MappedEmailShape {
  /** Normalized emails the benchmark maps. */
  readonly emails: readonly string[];
  readonly firstLevelSaltLength: number;
  readonly bucketSaltLength: number;
  /** True when buckets also carry a previous salt reported by map v3. */
  readonly previousSalt: boolean;
}

/** Average SHA-256 blocks per mapped email, from the actual hash inputs. */
export function blocksPerMappedEmail(s: MappedEmailShape): number {
  const emailBlocks = s.emails.reduce((sum, e) => sum + sha256Blocks(Buffer.byteLength(e, 'utf8')), 0) / s.emails.length;
  const flh = sha256Blocks(44 + s.firstLevelSaltLength);
  const uid = sha256Blocks(44 + s.bucketSaltLength);
  return emailBlocks + flh + uid * (s.previousSalt ? 2 : 1);
}

export interface HashRate {
  readonly blocksPerS: number;
  readonly source: 'openssl' | 'node';
}

function runOpenssl(seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('openssl', ['speed', '-evp', 'sha256', '-bytes', '64', '-seconds', String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    p.stdout.on('data', (c: Buffer) => (text += c.toString()));
    p.stderr.on('data', (c: Buffer) => (text += c.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`openssl exited with ${code}`))));
  });
}

/** "Doing sha256 ops for 3s on 64 size blocks: 19234567 sha256 ops in 2.99s" (wording varies by version). */
export function parseOpensslSpeed(text: string): number | undefined {
  const doing = /:\s*(\d+)\s+\S*sha256\S*(?:\s+ops)?\s+in\s+([\d.]+)s/i.exec(text);
  if (doing) return Number(doing[1]) / Number(doing[2]);
  const table = /^sha256\s+([\d.]+)k/im.exec(text);
  return table ? (Number(table[1]) * 1000) / 64 : undefined;
}

/** Node's own hashing speed, only when openssl is not installed (reported as such). */
function nodeHashRate(): number {
  const input = Buffer.alloc(64 - 9, 1); // exactly one block
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < 1000) {
    for (let i = 0; i < 10_000; i++) createHash('sha256').update(input).digest();
    n += 10_000;
  }
  return n / ((performance.now() - start) / 1000);
}

/** SHA-256 64-byte operations per second on one core; each counts as one block, as in the brief. */
export async function measureHashRate(seconds: number): Promise<HashRate> {
  try {
    const rate = parseOpensslSpeed(await runOpenssl(seconds));
    if (rate !== undefined) return { blocksPerS: rate, source: 'openssl' };
  } catch {
    // fall through to the Node measurement
  }
  return { blocksPerS: nodeHashRate(), source: 'node' };
}
