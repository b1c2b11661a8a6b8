/**
 * Request bodies of the routes issue 15 added to the benchmark:
 * - `/v2/token/client-generate` (CSTG, spec §9): plain JSON, each with its own client key pair
 *   (ECDH with the site's keypair, as the browser SDK does) and the site's allowed origin. CSTG
 *   has no nonce and its timestamp is not checked for freshness, so a pool may be sent again.
 * - `/v2/optout/status` (spec §4.8): `advertising_ids` lists, half of them ids of opt-out records
 *   the operator holds (read back from the partition files), half unknown ids.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encryptCstgRequest } from '../src/protocol/cstg.ts';
import { OPTOUT_RECORD_SIZE } from '../src/protocol/optout-record.ts';
import type { BenchDataset } from './bench-data.ts';

/** The demo site allows `localhost` (core/dataset); the domain check is on in the demo config. */
export const CSTG_HEADERS = { 'Content-Type': 'application/json', Origin: 'http://localhost' };

/** `n` distinct CSTG request bodies (JSON) for hashed emails. */
export function cstgBodies(ds: BenchDataset, n: number): string[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const emailHash = createHash('sha256').update(`cstg${i}@example.com`).digest('base64');
    const { body } = encryptCstgRequest({
      serverPublicKey: ds.cstg.publicKey,
      plaintext: JSON.stringify({ email_hash: emailHash }),
      timestampMs: now,
      subscriptionId: ds.cstg.subscriptionId,
    });
    return JSON.stringify(body);
  });
}

/** Base64 advertising ids of up to `n` opt-out records of the data set (bytes 32..63 of each 72-byte record, spec §10.2). */
function optedOutIds(dataDir: string, n: number): string[] {
  const dir = join(dataDir, 'optout');
  const file = readdirSync(dir).find((f) => f.endsWith('.dat'));
  if (!file) return [];
  const bytes = readFileSync(join(dir, file));
  const count = Math.floor(bytes.length / OPTOUT_RECORD_SIZE);
  const step = Math.max(1, Math.floor(count / n));
  const ids: string[] = [];
  for (let r = 0; r < count && ids.length < n; r += step) ids.push(bytes.subarray(r * OPTOUT_RECORD_SIZE + 32, r * OPTOUT_RECORD_SIZE + 64).toString('base64'));
  return ids;
}

/**
 * Payloads of `perRequest` ids each, half of them opted out, for `envelopeLoad`: the ids are
 * drawn from fixed lists (10,000 known, 10,000 random), so building a large pool stays cheap.
 */
export function optoutStatusPayloads(dataDir: string, perRequest: number): (n: number, offset: number) => Iterable<string> {
  const known = optedOutIds(dataDir, 10_000);
  const unknown = Array.from({ length: 10_000 }, () => randomBytes(32).toString('base64'));
  return function* (n, offset) {
    for (let r = offset; r < offset + n; r++) {
      const ids = Array.from({ length: perRequest }, (_, i) => {
        const k = r * perRequest + i;
        return i % 2 === 0 && known.length > 0 ? known[k % known.length] : unknown[k % unknown.length];
      });
      yield JSON.stringify({ advertising_ids: ids });
    }
  };
}
