/**
 * `createDemoDataset`: a complete data set (docs/architecture.md "Data sets") that the operator's
 * local mode, Core and OptOut all read. Every store is written in the upstream shape (fixtures
 * `com.uid2.core/test/*`), through the same store writer the admin commands use.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '../../storage/blob-store.ts';
import { FsBlobStore } from '../../storage/fs-blob-store.ts';
import { writeJsonStore, writeRuntimeConfig, writeSaltSnapshot } from '../stores/store-writer.ts';
import { FULL_BUCKET_COUNT } from '../../protocol/salt-bucket.ts';
import { coreConfig, DEMO_RUNTIME_CONFIG, operatorConfig, optoutConfig, type IdentityScopeName } from './config-files.ts';
import {
  CLIENT_ROLES,
  clientRecord,
  clientSideKeypairRecord,
  FALLBACK_KEYSET_ID,
  FALLBACK_SITE_ID,
  keysetKeyRecord,
  keysetRecord,
  MASTER_KEYSET_ID,
  operatorRecord,
  REFRESH_KEYSET_ID,
  siteRecord,
} from './records.ts';
import { generateSaltFile } from './salt-csv.ts';
import { randomBase64 } from './secret-key.ts';

export const DEMO_SITE_ID = 999;
export const DEMO_KEYSET_ID = 3;
/** Keys activate a minute in the past so processes with slightly different clocks agree they are active. */
const ACTIVATION_LEEWAY_MS = 60_000;
const SALT_LIFETIME_MS = 10 * 365 * 86_400_000;

export const DEMO_CLIENT_FILE = 'demo-client.json';
export const OPERATOR_KEY_FILE = 'operator-key.txt';
export const OPERATOR_CONFIG_FILE = 'operator-config.json';
export const CORE_CONFIG_FILE = 'core-config.json';
/** Read by OptOut (src/optout/optout-config.ts names the same file). */
export const OPTOUT_CONFIG_FILE = 'optout-config.json';

export interface DemoDatasetOptions {
  out: string;
  /** Salt buckets; 2^20 as in production unless a smaller demo is wanted. */
  buckets?: number;
  identityScope?: IdentityScopeName;
  now?: number;
}

export interface DemoDataset {
  readonly dir: string;
  readonly apiKey: string;
  readonly secret: string;
  readonly operatorKey: string;
  readonly subscriptionId: string;
  readonly publicKey: string;
  readonly siteId: number;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

async function writeKeyStores(blobs: BlobStore, nowMs: number): Promise<void> {
  const nowS = Math.floor(nowMs / 1000);
  const activates = Math.floor((nowMs - ACTIVATION_LEEWAY_MS) / 1000);
  await writeJsonStore(blobs, 'keysets', [
    keysetRecord(MASTER_KEYSET_ID, -1, 'Master keyset', nowS, null),
    keysetRecord(REFRESH_KEYSET_ID, -2, 'Refresh keyset', nowS),
    keysetRecord(FALLBACK_KEYSET_ID, FALLBACK_SITE_ID, 'Publisher keyset', nowS),
    keysetRecord(DEMO_KEYSET_ID, DEMO_SITE_ID, 'Demo site keyset', nowS),
  ], nowMs);
  await writeJsonStore(blobs, 'keyset_keys', [
    keysetKeyRecord(1, MASTER_KEYSET_ID, activates, nowS),
    keysetKeyRecord(2, REFRESH_KEYSET_ID, activates, nowS),
    keysetKeyRecord(3, FALLBACK_KEYSET_ID, activates, nowS),
    keysetKeyRecord(4, DEMO_KEYSET_ID, activates, nowS),
  ], nowMs);
}

async function writeSalts(blobs: BlobStore, buckets: number, nowMs: number): Promise<void> {
  const effective = Math.floor(nowMs - ACTIVATION_LEEWAY_MS);
  await writeSaltSnapshot(
    blobs,
    { first_level: randomBase64(32), id_prefix: 'b', id_secret: randomBase64(32) },
    generateSaltFile(buckets, effective),
    buckets,
    { effective, expires: effective + SALT_LIFETIME_MS },
    [],
    nowMs,
  );
}

export async function createDemoDataset(options: DemoDatasetOptions): Promise<DemoDataset> {
  const nowMs = options.now ?? Date.now();
  const nowS = Math.floor(nowMs / 1000);
  const scope = options.identityScope ?? 'uid2';
  const keyScope = scope === 'euid' ? 'EUID' : 'UID2';
  const buckets = options.buckets ?? FULL_BUCKET_COUNT;
  if (!Number.isSafeInteger(buckets) || buckets < 1) throw new RangeError('buckets must be a positive integer');
  await mkdir(options.out, { recursive: true });
  const blobs = new FsBlobStore({ root: options.out, layout: 'flat' });

  const client = clientRecord(keyScope, DEMO_SITE_ID, 'Demo client', CLIENT_ROLES, nowS);
  const operator = operatorRecord(keyScope, DEMO_SITE_ID, 'Demo operator', 'trusted', 'PRIVATE', nowS);
  const keypair = clientSideKeypairRecord(keyScope, DEMO_SITE_ID, 'demo@example.com', nowS);

  await writeSalts(blobs, buckets, nowMs);
  await writeKeyStores(blobs, nowMs);
  await writeJsonStore(blobs, 'clients', [client.record], nowMs);
  await writeJsonStore(blobs, 'sites', [siteRecord(DEMO_SITE_ID, 'Demo site', ['localhost'])], nowMs);
  await writeJsonStore(blobs, 'client_side_keypairs', [keypair], nowMs);
  await writeJsonStore(blobs, 'services', [], nowMs);
  await writeJsonStore(blobs, 'service_links', [], nowMs);
  await writeJsonStore(blobs, 'cloud_encryption_keys', [], nowMs);
  await writeJsonStore(blobs, 'operators', [operator.record], nowMs);
  await writeJsonStore(blobs, 'enclaves', [], nowMs);
  await writeRuntimeConfig(blobs, { ...DEMO_RUNTIME_CONFIG }, nowMs);

  const publicKey = String(keypair.public_key);
  const subscriptionId = String(keypair.subscription_id);
  await writeFile(join(options.out, OPERATOR_CONFIG_FILE), json(operatorConfig(scope)));
  const core = coreConfig();
  await writeFile(join(options.out, CORE_CONFIG_FILE), json(core), { mode: 0o600 });
  await writeFile(join(options.out, OPTOUT_CONFIG_FILE), json(optoutConfig(core)), { mode: 0o600 });
  await writeFile(
    join(options.out, DEMO_CLIENT_FILE),
    json({ api_key: client.key, secret: client.secret, cstg: { subscription_id: subscriptionId, public_key: publicKey } }),
    { mode: 0o600 },
  );
  await writeFile(join(options.out, OPERATOR_KEY_FILE), `${operator.key}\n`, { mode: 0o600 });

  return {
    dir: options.out,
    apiKey: client.key,
    secret: client.secret,
    operatorKey: operator.key,
    subscriptionId,
    publicKey,
    siteId: DEMO_SITE_ID,
  };
}
