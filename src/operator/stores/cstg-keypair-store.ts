/**
 * Client-side token generation keypairs (spec §9, upstream `ClientSideKeypair`). Public keys are
 * `UID2-X-<env>-` + base64 SPKI, private keys `UID2-Y-<env>-` + base64 PKCS#8; the prefix is the
 * first 9 characters.
 */
import { jsonFileStore, type Versioned } from './store-definition.ts';
import { asRecords, fields } from './store-json.ts';

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
  const bySubscriptionId = new Map<string, CstgKeypair>();
  asRecords(json, 'client_side_keypairs').forEach((o, i) => {
    const f = fields(o, `client_side_keypairs[${i}]`);
    const pair: CstgKeypair = Object.freeze({
      subscriptionId: f.str('subscription_id'),
      publicKey: f.str('public_key'),
      privateKey: f.str('private_key'),
      siteId: f.int('site_id'),
      contact: f.optStr('contact') ?? '',
      created: f.optInt('created', 0)!,
      disabled: f.bool('disabled', false),
      name: f.optStr('name') ?? '',
    });
    bySubscriptionId.set(pair.subscriptionId, pair);
  });
  return Object.freeze({ version, entryCount: bySubscriptionId.size, bySubscriptionId });
}

export const cstgKeypairStore = jsonFileStore('client_side_keypairs', 'client_side_keypairs', buildCstgKeypairSnapshot);
