/**
 * Validation of `POST /optout/replicate?identity_hash=&advertising_id=` (operator-spec.md §10.3,
 * upstream `OptOutServiceVerticle`): each parameter exactly once, strict base64; the identity
 * hash is 32 bytes and neither all zeros nor all ones (the special "always / never opted out"
 * hashes, §10.2); the advertising id is a 32- or 33-byte raw UID. The optional JSON body
 * `{email?, phone?, client_ip?}` is only checked for shape; its values are never stored or logged.
 */
import { decodeBase64, isBase64 } from '../protocol/base64.ts';

export interface ReplicateInput {
  readonly identityHash: Buffer;
  readonly advertisingId: Buffer;
}

const BODY_FIELDS = new Set(['email', 'phone', 'client_ip']);

function single(query: Record<string, unknown>, name: string): Buffer | undefined {
  const raw = query[name];
  if (typeof raw !== 'string') return undefined; // missing, or repeated (an array)
  // A literal '+' in an unencoded query string arrives as a space; base64 never holds spaces.
  const value = raw.replaceAll(' ', '+');
  return value.length > 0 && isBase64(value) ? decodeBase64(value) : undefined;
}

function isUniform(bytes: Buffer, value: number): boolean {
  return bytes.every((b) => b === value);
}

export function parseReplicateQuery(query: unknown): ReplicateInput | undefined {
  if (typeof query !== 'object' || query === null) return undefined;
  const q = query as Record<string, unknown>;
  const identityHash = single(q, 'identity_hash');
  const advertisingId = single(q, 'advertising_id');
  if (!identityHash || identityHash.length !== 32 || isUniform(identityHash, 0) || isUniform(identityHash, 0xff)) return undefined;
  if (!advertisingId || (advertisingId.length !== 32 && advertisingId.length !== 33)) return undefined;
  return { identityHash, advertisingId };
}

/** True for an absent/empty body or a JSON object whose known fields are strings. */
export function isValidReplicateBody(body: unknown): boolean {
  if (body === undefined || body === null) return true;
  if (typeof body !== 'string') return false;
  if (body.trim() === '') return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return false;
  return Object.entries(parsed).every(([k, v]) => !BODY_FIELDS.has(k) || v === null || typeof v === 'string');
}
