/**
 * Typed errors of the byte-format layer. Every decoder in `src/protocol` throws only
 * `ProtocolError`, never an exception from deep inside (a RangeError from a short buffer,
 * an OpenSSL error from a bad tag). Callers switch on `code`; the operator maps codes to its
 * HTTP error catalogue. As in jose, every authentication/decryption failure is one code
 * (`ERR_DECRYPT`) so an attacker cannot tell which check failed.
 */
export type ProtocolErrorCode =
  | 'ERR_BASE64' // not strict base64 / base64url
  | 'ERR_TOO_SHORT' // fewer bytes than the layout needs
  | 'ERR_VERSION' // unknown or wrong format version byte
  | 'ERR_DECRYPT' // AES-GCM/CBC authentication or padding failure, wrong key
  | 'ERR_UNKNOWN_KEY' // key id not found
  | 'ERR_TIMESTAMP' // request outside the freshness window
  | 'ERR_JSON' // payload is not the JSON the format requires
  | 'ERR_FORMAT' // any other structural violation (lengths, mismatched type bytes)
  | 'ERR_INVALID_INPUT' // identity or key input that fails validation
  | 'ERR_PUBLIC_KEY' // CSTG client public key is not a P-256 SPKI (spec §9 "bad public key")
  | 'ERR_IV'; // CSTG iv is not 12 bytes of base64 (spec §9 "bad iv")

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function isProtocolError(err: unknown, code?: ProtocolErrorCode): err is ProtocolError {
  return err instanceof ProtocolError && (code === undefined || err.code === code);
}

/**
 * A key id that the lookup does not know. Carries the id because the refresh endpoint names it
 * in its message ("Generator of this token (Key ID: N) does not exist.", spec §4.3).
 */
export class UnknownKeyError extends ProtocolError {
  readonly keyId: number;

  constructor(keyId: number) {
    super('ERR_UNKNOWN_KEY', `key ${keyId} does not exist`);
    this.name = 'UnknownKeyError';
    this.keyId = keyId;
  }
}
