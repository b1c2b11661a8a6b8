/**
 * Builders of store records in the upstream shapes (fixtures under `com.uid2.core/test/`, spec
 * operator-spec.md §2.2, §8.1, §9, §11). Field names stay snake_case here because these records
 * are the files, not our domain objects. Times are epoch seconds unless named `Ms`.
 */
import { generateKeyPairSync, randomInt } from 'node:crypto';
import { generateApiKey, randomBase64, storedKeyFields, type GeneratedKey, type KeyScope } from './secret-key.ts';

/** Reserved keysets (spec §8.1): master -1, refresh -2, fallback publisher keyset of site 2. */
export const MASTER_KEYSET_ID = -1;
export const REFRESH_KEYSET_ID = -2;
export const FALLBACK_KEYSET_ID = 2;
export const FALLBACK_SITE_ID = 2;

export const CLIENT_ROLES = ['GENERATOR', 'MAPPER', 'ID_READER', 'SHARER', 'OPTOUT'] as const;
export const OPERATOR_ROLES = ['OPERATOR', 'OPTOUT'] as const;
/** Keys of a fresh data set stay valid for ten years. */
export const KEY_LIFETIME_SECONDS = 10 * 365 * 86_400;

export interface KeysetRecord {
  keyset_id: number;
  site_id: number;
  name: string;
  allowed_sites: number[] | null;
  created: number;
  enabled: boolean;
  default: boolean;
}

export interface KeysetKeyRecord {
  id: number;
  keyset_id: number;
  created: number;
  activates: number;
  expires: number;
  secret: string;
}

export function keysetRecord(keysetId: number, siteId: number, name: string, nowS: number, allowedSites: number[] | null = []): KeysetRecord {
  return { keyset_id: keysetId, site_id: siteId, name, allowed_sites: allowedSites, created: nowS, enabled: true, default: true };
}

/** A key that activates at `activatesS` and lives for KEY_LIFETIME_SECONDS. */
export function keysetKeyRecord(id: number, keysetId: number, activatesS: number, nowS: number): KeysetKeyRecord {
  return { id, keyset_id: keysetId, created: nowS, activates: activatesS, expires: activatesS + KEY_LIFETIME_SECONDS, secret: randomBase64(32) };
}

export interface IssuedRecord<T> {
  readonly record: T;
  /** The plaintext key: shown once to whoever asked for it, never stored. */
  readonly key: string;
}

export function clientRecord(
  scope: KeyScope,
  siteId: number,
  name: string,
  roles: readonly string[],
  nowS: number,
): IssuedRecord<Record<string, unknown>> & { secret: string } {
  const generated: GeneratedKey = generateApiKey(scope, 'C', siteId);
  const secret = randomBase64(32);
  const record = {
    ...storedKeyFields(generated),
    secret,
    name,
    contact: name,
    created: nowS,
    roles: [...roles],
    site_id: siteId,
    disabled: false,
    service_id: 0,
  };
  return { record, key: generated.key, secret };
}

export type Protocol = 'trusted' | 'azure-cc' | 'azure-sgx';

export function operatorRecord(
  scope: KeyScope,
  siteId: number,
  name: string,
  protocol: string,
  operatorType: 'PUBLIC' | 'PRIVATE',
  nowS: number,
  roles: readonly string[] = OPERATOR_ROLES,
): IssuedRecord<Record<string, unknown>> {
  const generated = generateApiKey(scope, 'O', siteId);
  const record = {
    ...storedKeyFields(generated),
    name,
    contact: name,
    created: nowS,
    protocol,
    roles: [...roles],
    site_id: siteId,
    operator_type: operatorType,
    disabled: false,
  };
  return { record, key: generated.key };
}

/** Fields as in the fixture `sites.json` (upstream also knows `created`, which it leaves out). */
export function siteRecord(id: number, name: string, domainNames: readonly string[]): Record<string, unknown> {
  return { id, name, enabled: true, domain_names: [...domainNames], app_names: [] };
}

const SUBSCRIPTION_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random 10-character subscription id, like the fixture's `4WvryDGbR5`. */
export function subscriptionId(): string {
  let out = '';
  for (let i = 0; i < 10; i++) out += SUBSCRIPTION_ALPHABET[randomInt(SUBSCRIPTION_ALPHABET.length)];
  return out;
}

/**
 * A CSTG keypair (spec §9): P-256, public key `<SCOPE>-X-<env>-` + base64 SPKI DER, private key
 * `<SCOPE>-Y-<env>-` + base64 PKCS#8 DER.
 */
export function clientSideKeypairRecord(scope: KeyScope, siteId: number, contact: string, nowS: number, env = 'L'): Record<string, unknown> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    subscription_id: subscriptionId(),
    public_key: `${scope}-X-${env}-${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`,
    private_key: `${scope}-Y-${env}-${privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')}`,
    site_id: siteId,
    contact,
    created: nowS,
    disabled: false,
  };
}

/** Enclave identifier record (spec attestation-azure.md §2.3). */
export function enclaveRecord(name: string, protocol: string, identifier: string, nowS: number): Record<string, unknown> {
  return { name, protocol, identifier, created: nowS };
}
