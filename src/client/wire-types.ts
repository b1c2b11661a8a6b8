/**
 * JSON shapes of the operator API as the SDK sends and reads them (spec §4, §8.3;
 * docs/openapi.yaml). Field names stay snake_case: they are the wire format.
 */

/** Exactly one identity of a single-identity endpoint (generate, validate, logout). */
export type IdentityInput = { email: string } | { email_hash: string } | { phone: string } | { phone_hash: string };

/** The identity a generate/refresh/CSTG call returns (spec §7.6). */
export interface IdentityTokens {
  advertising_token: string;
  refresh_token: string;
  identity_expires: number;
  refresh_expires: number;
  refresh_from: number;
  refresh_response_key: string;
}

/** Soft outcomes are results, not errors (spec §3.2). */
export type TokenResult =
  | { status: 'success'; identity: IdentityTokens }
  | { status: 'optout' }
  | { status: 'insufficient_user_consent' }
  | { status: 'expired_token' };

export interface MapV3Input {
  email?: string[];
  email_hash?: string[];
  phone?: string[];
  phone_hash?: string[];
}

export type MapV3Entry = { u: string; p: string | null; r: number } | { e: 'optout' | 'invalid identifier' };

export type MapV3Result = Record<'email' | 'email_hash' | 'phone' | 'phone_hash', MapV3Entry[]>;

export interface MapV2Result {
  mapped: { identifier: string; advertising_id: string; bucket_id: string }[];
  unmapped?: { identifier: string | null; reason: string }[];
}

export interface Bucket {
  bucket_id: string;
  last_updated: string;
}

export interface SharedKey {
  id: number;
  keyset_id?: number;
  site_id?: number;
  created: number;
  activates: number;
  expires: number;
  secret: string;
}

export interface SiteData {
  id: number;
  domain_names: string[];
}

export interface KeySharingResult {
  caller_site_id: number;
  master_keyset_id: number;
  default_keyset_id?: number;
  token_expiry_seconds: string;
  max_sharing_lifetime_seconds?: number;
  identity_scope: 'UID2' | 'EUID';
  allow_clock_skew_seconds: number;
  keys: SharedKey[];
  site_data?: SiteData[];
}

export interface KeyBidstreamResult {
  max_bidstream_lifetime_seconds: number;
  identity_scope: 'UID2' | 'EUID';
  allow_clock_skew_seconds: number;
  keys: SharedKey[];
  site_data?: SiteData[];
}

export interface OptoutStatusResult {
  opted_out: { advertising_id: string; opted_out_since: number }[];
}
