/**
 * Inputs of the benchmark: a demo data set (`uid2 init` code), the demo client's credentials, and
 * pools of unique requests. Every v2 request carries its own envelope (fresh timestamp and nonce):
 * envelopes are valid for 120 s (spec §3.1) and a nonce seen twice is refused, so pools are built
 * right before the run that uses them and never reused.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createDemoDataset, DEMO_CLIENT_FILE, DEMO_SITE_ID, OPERATOR_CONFIG_FILE } from '../src/core/dataset/index.ts';
import { createOperator } from '../src/operator/operator-service.ts';
import { PrivacyBits, issueIdentity } from '../src/operator/tokens/identity-tokens.ts';
import { encodeRequestEnvelope } from '../src/protocol/envelope-v2.ts';
import { IdentityType } from '../src/protocol/identity-kinds.ts';

export interface BenchDataset {
  readonly dir: string;
  readonly configFile: string;
  readonly apiKey: string;
  readonly secret: Buffer;
  readonly firstLevelSaltLength: number;
  readonly bucketSaltLength: number;
  readonly previousSalt: boolean;
  /** The demo site's client-side keypair (subscription id, "UID2-X-..." public key). */
  readonly cstg: { readonly subscriptionId: string; readonly publicKey: string };
}

function saltShape(dir: string): Pick<BenchDataset, 'firstLevelSaltLength' | 'bucketSaltLength' | 'previousSalt'> {
  const meta = JSON.parse(readFileSync(join(dir, 'stores/salts/metadata.json'), 'utf8'));
  const last = meta.salts[meta.salts.length - 1];
  const file = readFileSync(join(dir, last.location), 'latin1');
  const fields = file.slice(0, file.indexOf('\n')).split(',');
  return { firstLevelSaltLength: meta.first_level.length, bucketSaltLength: fields[2].length, previousSalt: (fields[4] ?? '') !== '' };
}

export async function prepareDataset(dir: string, buckets: number): Promise<BenchDataset> {
  await createDemoDataset({ out: dir, buckets });
  return loadDataset(dir);
}

/** The benchmark's view of a demo data set that already exists (e.g. the soak's stack). */
export function loadDataset(dir: string): BenchDataset {
  const client = JSON.parse(readFileSync(join(dir, DEMO_CLIENT_FILE), 'utf8')) as { api_key: string; secret: string; cstg: { subscription_id: string; public_key: string } };
  return {
    dir,
    configFile: join(dir, OPERATOR_CONFIG_FILE),
    apiKey: client.api_key,
    secret: Buffer.from(client.secret, 'base64'),
    ...saltShape(dir),
    cstg: { subscriptionId: client.cstg.subscription_id, publicKey: client.cstg.public_key },
  };
}

/** `n` distinct, already-normalized emails of a realistic length (~24 chars). */
export function benchEmails(n: number, offset = 0): string[] {
  return Array.from({ length: n }, (_, i) => `user${(offset + i).toString(36).padStart(6, '0')}.name@example.com`);
}

/** Base64 v2 envelopes, one per payload, stamped `now` (default: the current time). */
export function envelopePool(secret: Buffer, payloads: Iterable<string>, now = Date.now()): string[] {
  const out: string[] = [];
  for (const p of payloads) out.push(encodeRequestEnvelope(secret, { nowMs: now, payload: p }).toString('base64'));
  return out;
}

export function* generatePayloads(n: number, offset: number): Iterable<string> {
  for (let i = 0; i < n; i++) yield `{"email":"bench${offset + i}@example.com"}`;
}

/**
 * `n` distinct refresh tokens (the 388-char envelopes clients send to /v2/token/refresh), issued
 * in-process with the operator's own token code over the same data set and keys.
 */
export async function refreshTokenPool(ds: BenchDataset, n: number): Promise<string[]> {
  const op = await createOperator({ dataDir: ds.dir, files: [ds.configFile], env: {}, logger: pino({ level: 'silent' }) });
  const now = Date.now();
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    const body = issueIdentity(
      op.deps,
      op.deps.stores.view(),
      { scope: op.deps.config.identityScope, type: IdentityType.Email, firstLevelHash: randomBytes(32), siteId: DEMO_SITE_ID, privacyBits: PrivacyBits.serverSide, establishedMs: now },
      now,
    );
    tokens.push(body.refresh_token);
  }
  return tokens;
}
