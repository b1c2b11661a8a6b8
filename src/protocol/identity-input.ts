/**
 * Identity input validation and normalization (spec §5; vectors README "Differences" §3).
 *
 * | field        | accepted input                                         | identity hash (bytes)              |
 * | email        | any string that `normalizeEmail` accepts               | SHA-256(UTF-8(normalized email))   |
 * | phone        | E.164: "+" then 10-15 ASCII digits, nothing else       | SHA-256(UTF-8(phone as given))     |
 * | email_hash   | 44 chars of standard base64 (Java decoder semantics),  | the decoded bytes (31, 32 or 33)   |
 * | phone_hash   |   or 64 hex digits of either case                      |   or the 32 hex-decoded bytes      |
 *
 * Email normalization is upstream's single pass over UTF-16 code units:
 * | position           | rule                                                                    |
 * | before the 1st "@" | U+0020 dropped; "." and "+" kept; a parallel "gmail" local part skips   |
 * |                    | "." and stops collecting at the first "+"                              |
 * | after the 1st "@"  | a 2nd "@" is invalid; a run of spaces is kept only if a non-space       |
 * |                    | follows it (trailing spaces vanish)                                     |
 * | end                | empty domain or empty chosen local part is invalid; the gmail local     |
 * |                    | part is used only when the domain is exactly "gmail.com"                |
 * Only ASCII A-Z are lower-cased; everything else (TAB, non-ASCII) is kept as is.
 */
import { hash } from 'node:crypto';
import { cryptoKernels } from './crypto-kernels.ts';
import { isBase64, encodeBase64 } from './base64.ts';
import { IdentityType } from './identity-kinds.ts';

export type IdentityField = 'email' | 'phone' | 'email_hash' | 'phone_hash';

export const IDENTITY_FIELDS: readonly IdentityField[] = Object.freeze(['email', 'email_hash', 'phone', 'phone_hash']);

/** A validated identity: its type (from the field name) and its identity hash bytes. */
export interface Identity {
  readonly type: IdentityType;
  readonly hash: Buffer;
}

const GMAIL_DOMAIN = 'gmail.com';
const SPACE = 0x20;
const AT = 0x40;
const DOT = 0x2e;
const PLUS = 0x2b;
const MIN_PHONE_DIGITS = 10;
const MAX_PHONE_DIGITS = 15;
const BASE64_HASH_LENGTH = 44;
const HEX_HASH = /^[0-9A-Fa-f]{64}$/;

function lowerAscii(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 32 : code;
}

/**
 * True when `input` is already normalized: one "@" with text on both sides, no space, no ASCII
 * upper case, and a domain other than gmail.com. The single pass below returns such an input
 * unchanged, so the common case skips building new strings.
 */
function isNormalizedEmail(input: string): boolean {
  let at = -1;
  for (let i = 0; i < input.length; i++) {
    const code = input.charCodeAt(i);
    if (code === SPACE || (code >= 0x41 && code <= 0x5a)) return false;
    if (code === AT) {
      if (at >= 0) return false;
      at = i;
    }
  }
  return at > 0 && at < input.length - 1 && !(input.length - at - 1 === GMAIL_DOMAIN.length && input.endsWith(GMAIL_DOMAIN));
}

/** Upstream email normalization (spec §5); `null` when the address is invalid. */
export function normalizeEmail(input: string): string | null {
  if (isNormalizedEmail(input)) return input;
  let local = '';
  let gmailLocal = '';
  let inExtension = false;
  let inDomain = false;
  let domain = '';
  let pendingSpaces = '';
  for (let i = 0; i < input.length; i++) {
    const code = lowerAscii(input.charCodeAt(i));
    const ch = String.fromCharCode(code);
    if (!inDomain) {
      if (code === SPACE) continue;
      if (code === AT) {
        inDomain = true;
      } else if (code === DOT) {
        local += ch;
      } else if (code === PLUS) {
        local += ch;
        inExtension = true;
      } else {
        local += ch;
        if (!inExtension) gmailLocal += ch;
      }
      continue;
    }
    if (code === AT) return null;
    if (code === SPACE) {
      pendingSpaces += ch;
      continue;
    }
    domain += pendingSpaces + ch;
    pendingSpaces = '';
  }
  if (domain.length === 0) return null;
  const chosenLocal = domain === GMAIL_DOMAIN ? gmailLocal : local;
  if (chosenLocal.length === 0) return null;
  return `${chosenLocal}@${domain}`;
}

/** E.164 check without normalization (spec §5): "+" followed by 10-15 ASCII digits. */
export function isValidPhone(value: unknown): value is string {
  if (typeof value !== 'string' || value.charCodeAt(0) !== PLUS) return false;
  const digits = value.length - 1;
  if (digits < MIN_PHONE_DIGITS || digits > MAX_PHONE_DIGITS) return false;
  for (let i = 1; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

/**
 * Decodes an `email_hash`/`phone_hash` value: 44 chars that Java's strict base64 decoder accepts
 * (so 31- and 33-byte results and non-canonical trailing bits pass, vectors README §3) or 64 hex
 * digits. `null` when invalid. Callers hash the bytes, i.e. the canonical re-encoding.
 */
export function decodeIdentityHash(value: unknown): Buffer | null {
  if (typeof value !== 'string') return null;
  if (value.length === BASE64_HASH_LENGTH) return isBase64(value) ? Buffer.from(value, 'base64') : null;
  if (HEX_HASH.test(value)) return Buffer.from(value, 'hex');
  return null;
}

/**
 * The string upstream records as the "normalized" hash input: a base64 value as given, a hex
 * value converted to canonical base64; `null` when invalid.
 */
export function normalizeIdentityHash(value: unknown): string | null {
  const bytes = decodeIdentityHash(value);
  if (bytes === null) return null;
  return (value as string).length === BASE64_HASH_LENGTH ? (value as string) : encodeBase64(bytes);
}

/** The native one-shot kernel when installed, else `crypto.hash` (half a createHash object's cost, issue 6). */
function sha256Utf8(text: string): Buffer {
  const kernels = cryptoKernels();
  if (!kernels) return hash('sha256', text, 'buffer');
  const out = Buffer.allocUnsafe(32);
  kernels.sha256TextInto(text, out, 0);
  return out;
}

/** Validates one identity value of the given request field; `null` when it is not valid. */
export function parseIdentity(field: IdentityField, value: unknown): Identity | null {
  switch (field) {
    case 'email': {
      if (typeof value !== 'string') return null;
      const normalized = normalizeEmail(value);
      return normalized === null ? null : { type: IdentityType.Email, hash: sha256Utf8(normalized) };
    }
    case 'phone':
      return isValidPhone(value) ? { type: IdentityType.Phone, hash: sha256Utf8(value) } : null;
    case 'email_hash':
    case 'phone_hash': {
      const hash = decodeIdentityHash(value);
      if (hash === null) return null;
      return { type: field === 'email_hash' ? IdentityType.Email : IdentityType.Phone, hash };
    }
    default:
      return null;
  }
}

/**
 * The text whose SHA-256 (of its UTF-8) is the identity hash of an `email` or `phone` value: the
 * normalized email, or the phone as given (spec §5); `null` when invalid. The batch identity
 * mapper collects these and hashes them all at once.
 */
export function identityHashText(field: 'email' | 'phone', value: unknown): string | null {
  if (field === 'phone') return isValidPhone(value) ? value : null;
  return typeof value === 'string' ? normalizeEmail(value) : null;
}

/**
 * `parseIdentity` for the identity-map hot path: the identity hash as canonical base64 text (the
 * input of the first-level hash, spec §6.1), without intermediate Buffers; `null` when invalid.
 */
export function identityHashBase64(field: IdentityField, value: unknown): string | null {
  switch (field) {
    case 'email':
    case 'phone': {
      const text = identityHashText(field, value);
      return text === null ? null : hash('sha256', text, 'base64');
    }
    case 'email_hash':
    case 'phone_hash': {
      const bytes = decodeIdentityHash(value);
      return bytes === null ? null : encodeBase64(bytes);
    }
    default:
      return null;
  }
}
