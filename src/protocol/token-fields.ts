/**
 * Field groups shared by advertising and refresh tokens (spec §7), each described once.
 *
 * Operator identity (13 B):  siteId int32 | operatorType byte | operatorVersion int32 | operatorKeyId int32
 * Publisher identity (16 B): siteId int32 | publisherId int64 | clientKeyId int32
 * Token issue (29 B):        expires ms int64 | created ms int64 | operator identity (13 B);
 *                            how both token payloads begin (spec §7.1 master payload, §7.3)
 * Publisher grant (28 B):    publisher identity (16 B) | privacy bits int32 | established ms int64;
 *                            the site payload's start (§7.1) and refresh payload bytes 29..57 (§7.3)
 *
 * Version constants (`SH:.../model/TokenVersion.java`): V2 = 2, V3 = 112 (0x70), V4 = 128 (0x80).
 */
import type { ByteReader } from './byte-reader.ts';
import type { ByteWriter } from './byte-writer.ts';
import { ProtocolError, UnknownKeyError } from './errors.ts';
import { readIdentityByte, type IdentityScope, type IdentityType } from './identity-kinds.ts';

/** An AES-256 key with its id (keyset_keys.json record, spec §8.1). */
export interface Key {
  id: number;
  secret: Buffer;
}

/** Finds any key by id regardless of expiry (spec §8.2: "decryption uses any key by id"). */
export type KeyLookup = (id: number) => Key | undefined;

export const TokenVersion = { V2: 2, V3: 112, V4: 128 } as const;

/** Operator type byte; the operator always writes Service (spec §7). */
export const OperatorType = { Private: 0, Service: 1 } as const;

export interface OperatorIdentity {
  siteId: number;
  type: number;
  version: number;
  keyId: number;
}

/** What every token this operator issues carries (spec §7: "(siteId 0, type Service=1, version 0, keyId 0)"). */
export const SERVICE_OPERATOR: Readonly<OperatorIdentity> = Object.freeze({ siteId: 0, type: OperatorType.Service, version: 0, keyId: 0 });

export const OPERATOR_IDENTITY_SIZE = 13;
export const PUBLISHER_IDENTITY_SIZE = 16;

export interface PublisherIdentity {
  siteId: number;
  publisherId: number;
  clientKeyId: number;
}

/** Issue times and issuer: the first 29 bytes of an advertising (master) or refresh payload. */
export interface TokenIssue {
  expiresMs: number;
  createdMs: number;
  operator: OperatorIdentity;
}

export const TOKEN_ISSUE_SIZE = 8 + 8 + OPERATOR_IDENTITY_SIZE;

/** For which publisher, under which privacy bits and since when the identity was established. */
export interface PublisherGrant extends PublisherIdentity {
  privacyBits: number;
  establishedMs: number;
}

export const PUBLISHER_GRANT_SIZE = PUBLISHER_IDENTITY_SIZE + 4 + 8;

/** What an advertising token v3/v4 and a refresh token v3 both carry besides their own fields. */
export interface IssuedTokenFields extends TokenIssue, PublisherGrant {
  scope: IdentityScope;
  type: IdentityType;
}

export function readOperatorIdentity(r: ByteReader): OperatorIdentity {
  return { siteId: r.i32(), type: r.u8(), version: r.i32(), keyId: r.i32() };
}

export function writeOperatorIdentity(w: ByteWriter, op: OperatorIdentity): void {
  w.i32(op.siteId).u8(op.type).i32(op.version).i32(op.keyId);
}

export function readPublisherGrant(r: ByteReader): PublisherGrant {
  return { siteId: r.i32(), publisherId: r.i64(), clientKeyId: r.i32(), privacyBits: r.i32(), establishedMs: r.i64() };
}

export function writePublisherGrant(w: ByteWriter, g: PublisherGrant): void {
  w.i32(g.siteId).i64(g.publisherId).i32(g.clientKeyId).i32(g.privacyBits).i64(g.establishedMs);
}

export function readTokenIssue(r: ByteReader): TokenIssue {
  return { expiresMs: r.i64(), createdMs: r.i64(), operator: readOperatorIdentity(r) };
}

export function writeTokenIssue(w: ByteWriter, issue: TokenIssue): void {
  w.i64(issue.expiresMs).i64(issue.createdMs);
  writeOperatorIdentity(w, issue.operator);
}

/** Looks a key up or throws `UnknownKeyError` (a `ProtocolError` with code `ERR_UNKNOWN_KEY`). */
export function resolveKey(lookup: KeyLookup, id: number): Key {
  const key = lookup(id);
  if (!key) throw new UnknownKeyError(id);
  return key;
}

/**
 * Checks that an inner identity byte (33-byte raw UID, refresh payload) names the same scope and
 * type as the token header; upstream rejects a mismatch (`decodeAdvertisingTokenV3orV4`).
 */
export function requireSameIdentity(header: { scope: IdentityScope; type: IdentityType }, innerByte: number): void {
  const inner = readIdentityByte(innerByte);
  if (inner.scope !== header.scope || inner.type !== header.type) {
    throw new ProtocolError('ERR_FORMAT', 'identity scope/type inside the token does not match its header');
  }
}
