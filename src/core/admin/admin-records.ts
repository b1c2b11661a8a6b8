/**
 * Admin commands that add or change records (operators, clients, sites, CSTG keypairs, enclave
 * ids, cloud encryption keys). Each reads the current version through the BlobStore and writes a new one (content
 * first, then metadata with a higher version), so Core and operators pick it up on their next poll.
 */
import { randomBytes } from 'node:crypto';
import type { BlobStore } from '../../storage/blob-store.ts';
import {
  clientRecord,
  clientSideKeypairRecord,
  enclaveRecord,
  operatorRecord,
  siteRecord,
} from '../dataset/records.ts';
import type { KeyScope } from '../dataset/secret-key.ts';
import type { JsonArrayStore } from '../stores/store-layout.ts';
import { readJsonStore } from '../stores/store-reader.ts';
import { writeJsonStore } from '../stores/store-writer.ts';

export class AdminError extends Error {
  readonly code = 'ERR_ADMIN';

  constructor(message: string) {
    super(message);
    this.name = 'AdminError';
  }
}

type Rec = Record<string, unknown>;

async function records(blobs: BlobStore, store: JsonArrayStore): Promise<Rec[]> {
  return (await readJsonStore(blobs, store)).records as Rec[];
}

/** Keys keep the scope of the data set: EUID when existing keys are EUID keys. */
export async function scopeOf(blobs: BlobStore): Promise<KeyScope> {
  const existing = [...(await records(blobs, 'operators')), ...(await records(blobs, 'clients'))];
  return existing.some((r) => typeof r.key_id === 'string' && r.key_id.startsWith('EUID-')) ? 'EUID' : 'UID2';
}

export const OPERATOR_PROTOCOLS = ['trusted', 'azure-cc', 'azure-sgx'] as const;

export interface AddOperatorOptions {
  readonly name: string;
  readonly protocol: string;
  readonly siteId: number;
  readonly operatorType: 'PUBLIC' | 'PRIVATE';
  readonly roles?: readonly string[];
}

export async function addOperator(blobs: BlobStore, o: AddOperatorOptions, nowMs: number): Promise<{ key: string; keyId: string }> {
  const issued = operatorRecord(await scopeOf(blobs), o.siteId, o.name, o.protocol, o.operatorType, Math.floor(nowMs / 1000), o.roles);
  await writeJsonStore(blobs, 'operators', [...(await records(blobs, 'operators')), issued.record], nowMs);
  return { key: issued.key, keyId: String(issued.record.key_id) };
}

/** Disables every operator whose key_id or name is `who`; upstream revokes by disabling too. */
export async function revokeOperator(blobs: BlobStore, who: string, nowMs: number): Promise<number> {
  const all = await records(blobs, 'operators');
  let count = 0;
  const next = all.map((r) => {
    if (r.key_id !== who && r.name !== who) return r;
    count++;
    return { ...r, disabled: true };
  });
  if (count === 0) throw new AdminError(`no operator with key_id or name "${who}"`);
  await writeJsonStore(blobs, 'operators', next, nowMs);
  return count;
}

export async function addClient(
  blobs: BlobStore,
  o: { name: string; siteId: number; roles: readonly string[] },
  nowMs: number,
): Promise<{ key: string; secret: string; keyId: string }> {
  const issued = clientRecord(await scopeOf(blobs), o.siteId, o.name, o.roles, Math.floor(nowMs / 1000));
  await writeJsonStore(blobs, 'clients', [...(await records(blobs, 'clients')), issued.record], nowMs);
  return { key: issued.key, secret: issued.secret, keyId: String(issued.record.key_id) };
}

/** Participant site ids start at 3 (1 and 2 are reserved, spec operator-spec.md §2.1). */
const FIRST_SITE_ID = 3;

export async function addSite(blobs: BlobStore, o: { name: string; domains: readonly string[]; id?: number }, nowMs: number): Promise<number> {
  const sites = await records(blobs, 'sites');
  const ids = sites.map((s) => Number(s.id)).filter(Number.isSafeInteger);
  const id = o.id ?? Math.max(FIRST_SITE_ID - 1, ...ids) + 1;
  if (ids.includes(id)) throw new AdminError(`site ${id} already exists`);
  await writeJsonStore(blobs, 'sites', [...sites, siteRecord(id, o.name, o.domains)], nowMs);
  return id;
}

export async function addKeypair(blobs: BlobStore, siteId: number, nowMs: number): Promise<{ subscriptionId: string; publicKey: string }> {
  const keypair = clientSideKeypairRecord(await scopeOf(blobs), siteId, `site-${siteId}`, Math.floor(nowMs / 1000));
  await writeJsonStore(blobs, 'client_side_keypairs', [...(await records(blobs, 'client_side_keypairs')), keypair], nowMs);
  return { subscriptionId: String(keypair.subscription_id), publicKey: String(keypair.public_key) };
}

/**
 * azure-sgx ids are MRENCLAVEs, registered lowercase as upstream did (spec attestation-azure.md
 * §2.4); refusing anything else here keeps a typo out of the store Core reads.
 */
function canonicalEnclaveId(protocol: string, id: string): string {
  if (protocol !== 'azure-sgx') return id;
  if (!/^[0-9a-fA-F]{64}$/.test(id)) throw new AdminError('an azure-sgx enclave id is the MRENCLAVE: 64 hex characters');
  return id.toLowerCase();
}

export async function registerEnclave(blobs: BlobStore, input: { protocol: string; id: string; name?: string }, nowMs: number): Promise<void> {
  const o = { ...input, id: canonicalEnclaveId(input.protocol, input.id) };
  const all = await records(blobs, 'enclaves');
  if (all.some((e) => e.protocol === o.protocol && e.identifier === o.id)) throw new AdminError('enclave id already registered');
  const name = o.name ?? `${o.protocol}-${o.id.slice(0, 12)}`;
  await writeJsonStore(blobs, 'enclaves', [...all, enclaveRecord(name, o.protocol, o.id, Math.floor(nowMs / 1000))], nowMs);
}

export async function unregisterEnclave(blobs: BlobStore, o: { protocol?: string; id: string }, nowMs: number): Promise<number> {
  const all = await records(blobs, 'enclaves');
  const keep = all.filter((e) => !(e.identifier === o.id && (o.protocol === undefined || e.protocol === o.protocol)));
  if (keep.length === all.length) throw new AdminError('no such enclave id');
  await writeJsonStore(blobs, 'enclaves', keep, nowMs);
  return all.length - keep.length;
}

/**
 * Adds a cloud encryption key for a site (spec operator-spec.md §12.3): operators of that site
 * with `encrypted_files=true` get store files encrypted with the newest active one. Record in the
 * upstream shape `{id, siteId, activates, created, secret}` (fixture `cloud_encryption_keys.json`).
 */
export async function addCloudKey(blobs: BlobStore, o: { siteId: number; activatesS?: number }, nowMs: number): Promise<{ id: number; activates: number }> {
  const all = await records(blobs, 'cloud_encryption_keys');
  const id = Math.max(0, ...all.map((k) => Number(k.id)).filter(Number.isSafeInteger)) + 1;
  const created = Math.floor(nowMs / 1000);
  const activates = o.activatesS ?? created;
  const record = { id, siteId: o.siteId, activates, created, secret: randomBytes(32).toString('base64') };
  await writeJsonStore(blobs, 'cloud_encryption_keys', [...all, record], nowMs);
  return { id, activates };
}
