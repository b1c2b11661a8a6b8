/**
 * Field groups shared by advertising and refresh tokens (spec §7), each described once.
 *
 * Operator identity (13 B):  siteId int32 | operatorType byte | operatorVersion int32 | operatorKeyId int32
 * Publisher identity (16 B): siteId int32 | publisherId int64 | clientKeyId int32
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

export function readOperatorIdentity(r: ByteReader): OperatorIdentity {
  return { siteId: r.i32(), type: r.u8(), version: r.i32(), keyId: r.i32() };
}

export function writeOperatorIdentity(w: ByteWriter, op: OperatorIdentity): void {
  w.i32(op.siteId).u8(op.type).i32(op.version).i32(op.keyId);
}

export function readPublisherIdentity(r: ByteReader): PublisherIdentity {
  return { siteId: r.i32(), publisherId: r.i64(), clientKeyId: r.i32() };
}

export function writePublisherIdentity(w: ByteWriter, p: PublisherIdentity): void {
  w.i32(p.siteId).i64(p.publisherId).i32(p.clientKeyId);
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
