/**
 * Client-side token generation keypairs (spec §9, upstream `ClientSideKeypair`). Public keys are
 * `UID2-X-<env>-` + base64 SPKI, private keys `UID2-Y-<env>-` + base64 PKCS#8; the prefix is the
 * first 9 characters.
 */
import { jsonFileStore, type Versioned } from './store-definition.ts';
import { indexBy, parseRecords } from './store-json.ts';

export interface CstgKeypair {
  readonly subscriptionId: string;
  /** As stored, prefix included. */
  readonly publicKey: string;
  readonly privateKey: string;
  readonly siteId: number;
  readonly contact: string;
  readonly created: number;
  readonly disabled: boolean;
  readonly name: string;
}

export interface CstgKeypairSnapshot extends Versioned {
  readonly bySubscriptionId: ReadonlyMap<string, CstgKeypair>;
}

export function buildCstgKeypairSnapshot(json: unknown, version: number): CstgKeypairSnapshot {
  const pairs = parseRecords(json, 'client_side_keypairs', (f): CstgKeypair => ({
    subscriptionId: f.str('subscription_id'),
    publicKey: f.str('public_key'),
    privateKey: f.str('private_key'),
    siteId: f.int('site_id'),
    contact: f.optStr('contact') ?? '',
    created: f.optInt('created', 0)!,
    disabled: f.bool('disabled', false),
    name: f.optStr('name') ?? '',
  }));
  const bySubscriptionId = indexBy(pairs, (p) => p.subscriptionId);
  return Object.freeze({ version, entryCount: bySubscriptionId.size, bySubscriptionId });
}

export const cstgKeypairStore = jsonFileStore('client_side_keypairs', 'client_side_keypairs', buildCstgKeypairSnapshot);
