/**
 * Records of `clients.json` (operator API clients, spec §2.2) and `operators.json` (operator
 * keys presented to Core and OptOut). Keys are never stored in plaintext: each record carries a
 * salt and the salted SHA-512 of its key (spec §2.1). Parsing is strict about the fields the
 * lookup needs and ignores the rest (the local fixture also carries a plaintext `key`, which we
 * deliberately drop so it can never be logged from here).
 */
import { parseRoles, type Role } from './roles.ts';

export class AuthRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthRecordError';
  }
}

/** What every authorizable record has. */
export interface AuthRecord {
  readonly keyId: string;
  readonly keyHash: string;
  readonly keySalt: string;
  readonly name: string;
  readonly contact: string;
  readonly created: number;
  readonly roles: ReadonlySet<Role>;
  /** Participant site; `undefined` for operator keys without one. */
  readonly siteId: number | undefined;
  readonly disabled: boolean;
}

export interface ClientRecord extends AuthRecord {
  readonly siteId: number;
  /** AES-256-GCM key of the v2 envelope (32 bytes). */
  readonly secret: Buffer;
  /** 0 = not a service key. */
  readonly serviceId: number;
}

export type OperatorType = 'PUBLIC' | 'PRIVATE';

export interface OperatorRecord extends AuthRecord {
  /** Attestation protocol, e.g. "trusted", "azure-cc". */
  readonly protocol: string;
  readonly operatorType: OperatorType;
}

type Json = Record<string, unknown>;

function str(o: Json, field: string, index: number, required = true): string {
  const v = o[field];
  if (typeof v === 'string') return v;
  if (!required && (v === undefined || v === null)) return '';
  throw new AuthRecordError(`record ${index}: "${field}" must be a string`);
}

function int(o: Json, field: string, index: number, fallback?: number): number {
  const v = o[field];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if ((v === undefined || v === null) && fallback !== undefined) return fallback;
  throw new AuthRecordError(`record ${index}: "${field}" must be an integer`);
}

function bool(o: Json, field: string, index: number): boolean {
  const v = o[field];
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  throw new AuthRecordError(`record ${index}: "${field}" must be a boolean`);
}

function records(json: unknown): Json[] {
  if (!Array.isArray(json)) throw new AuthRecordError('expected a JSON array of records');
  return json.map((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new AuthRecordError(`record ${i}: not an object`);
    return r as Json;
  });
}

function baseRecord(o: Json, i: number): Omit<AuthRecord, 'siteId'> {
  return {
    keyId: str(o, 'key_id', i, false),
    keyHash: str(o, 'key_hash', i),
    keySalt: str(o, 'key_salt', i),
    name: str(o, 'name', i, false),
    contact: str(o, 'contact', i, false),
    created: int(o, 'created', i, 0),
    roles: parseRoles(o.roles),
    disabled: bool(o, 'disabled', i),
  };
}

/** Parses `clients.json` (spec §2.2). */
export function parseClientRecords(json: unknown): ClientRecord[] {
  return records(json).map((o, i) => {
    const secret = Buffer.from(str(o, 'secret', i), 'base64');
    if (secret.length !== 32) throw new AuthRecordError(`record ${i}: "secret" must be base64 of 32 bytes`);
    return Object.freeze({
      ...baseRecord(o, i),
      siteId: int(o, 'site_id', i),
      secret,
      serviceId: int(o, 'service_id', i, 0),
    });
  });
}

/** Parses `operators.json`. Operator keys always hold OPERATOR (upstream adds it by default). */
export function parseOperatorRecords(json: unknown): OperatorRecord[] {
  return records(json).map((o, i) => {
    const base = baseRecord(o, i);
    const type = str(o, 'operator_type', i, false).toUpperCase() || 'PRIVATE';
    if (type !== 'PUBLIC' && type !== 'PRIVATE') throw new AuthRecordError(`record ${i}: "operator_type" must be PUBLIC or PRIVATE`);
    const site = o.site_id;
    return Object.freeze({
      ...base,
      roles: new Set<Role>([...base.roles, 'OPERATOR']),
      siteId: typeof site === 'number' && Number.isInteger(site) ? site : undefined,
      protocol: str(o, 'protocol', i, false) || 'trusted',
      operatorType: type,
    });
  });
}
