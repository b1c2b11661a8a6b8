/**
 * Decrypts an advertising token with the keys of `/v2/key/sharing` or `/v2/key/bidstream`
 * (spec §7, §8.3) and renders every field as JSON-safe values (byte fields as base64), so the CLI
 * can print it and callers can compare fields without Buffers.
 */
import { decodeAdvertisingToken } from '../protocol/advertising-token.ts';
import { decodeBase64, encodeBase64 } from '../protocol/base64.ts';
import { scopeName } from '../protocol/identity-kinds.ts';
import type { Key, KeyLookup } from '../protocol/token-fields.ts';
import type { SharedKey } from './wire-types.ts';

/** Decrypted token fields; `raw_uid` is standard base64, times are epoch ms. */
export interface DecryptedToken {
  version: number;
  identity_scope: 'UID2' | 'EUID';
  identity_type: 'email' | 'phone';
  master_key_id: number;
  site_key_id: number;
  site_id: number;
  raw_uid: string;
  privacy_bits: number;
  is_client_side_generated: boolean;
  established_ms: number;
  expires_ms: number;
  created_ms?: number;
  refreshed_ms?: number;
  publisher_id?: number;
  client_key_id?: number;
  operator?: { site_id: number; type: number; version: number; key_id: number };
  identity_byte?: number;
}

/** Privacy bit 1 marks client-side generated tokens (spec §7.7). */
const CLIENT_SIDE_GENERATED_BIT = 0b10;

/** A key lookup over the `keys` array of a key-sharing response. */
export function keyLookupOf(keys: readonly SharedKey[]): KeyLookup {
  const byId = new Map<number, Key>();
  for (const k of keys) byId.set(k.id, { id: k.id, secret: decodeBase64(k.secret) });
  return (id) => byId.get(id);
}

export function decryptToken(token: string, keys: readonly SharedKey[] | KeyLookup): DecryptedToken {
  const lookup = typeof keys === 'function' ? keys : keyLookupOf(keys);
  const t = decodeAdvertisingToken(token.trim(), lookup);
  const common = {
    version: t.version,
    identity_scope: scopeName(t.scope),
    identity_type: t.type === 1 ? ('phone' as const) : ('email' as const),
    master_key_id: t.masterKeyId,
    site_key_id: t.siteKeyId,
    site_id: t.siteId,
    raw_uid: encodeBase64(t.rawUid),
    privacy_bits: t.privacyBits,
    is_client_side_generated: (t.privacyBits & CLIENT_SIDE_GENERATED_BIT) !== 0,
    established_ms: t.establishedMs,
    expires_ms: t.expiresMs,
  };
  if (t.version === 2) return common;
  return {
    ...common,
    created_ms: t.createdMs,
    refreshed_ms: t.refreshedMs,
    publisher_id: t.publisherId,
    client_key_id: t.clientKeyId,
    operator: { site_id: t.operator.siteId, type: t.operator.type, version: t.operator.version, key_id: t.operator.keyId },
    identity_byte: t.identityByte,
  };
}
