/**
 * Time-limited download links for the local blob backends, the loopback counterpart of S3
 * pre-signed URLs / Azure SAS (operator-spec.md §12.2: content is fetched by plain GET).
 *
 *   <baseUrl>/blobs/<path>?exp=<unix seconds>&sig=<hex HMAC-SHA256(secret, path "\n" exp)>
 *
 * The path is signed in its decoded form, each segment percent-encoded in the URL.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { assertBlobPath } from './blob-path.ts';

export const BLOB_ROUTE_PREFIX = '/blobs/';

export interface UrlSignerOptions {
  /** Where `blobDownloadRoutes` is served, e.g. `http://127.0.0.1:8081`; a function when the
   *  port is only known after `listen`. */
  baseUrl: string | (() => string);
  secret: Buffer;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

function signature(secret: Buffer, path: string, exp: number): Buffer {
  return createHmac('sha256', secret).update(`${path}\n${exp}`, 'utf8').digest();
}

export function encodeBlobPathForUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export class UrlSigner {
  private readonly now: () => number;

  constructor(private readonly options: UrlSignerOptions) {
    if (options.secret.length < 16) throw new Error('URL signing secret must be at least 16 bytes');
    this.now = options.now ?? Date.now;
  }

  sign(path: string, ttlSeconds: number): string {
    assertBlobPath(path);
    const exp = Math.floor(this.now() / 1000) + Math.max(1, Math.floor(ttlSeconds));
    const sig = signature(this.options.secret, path, exp).toString('hex');
    const base = typeof this.options.baseUrl === 'function' ? this.options.baseUrl() : this.options.baseUrl;
    return `${base.replace(/\/+$/, '')}${BLOB_ROUTE_PREFIX}${encodeBlobPathForUrl(path)}?exp=${exp}&sig=${sig}`;
  }

  /** True when `sig` (hex) signs `path` with expiry `exp` and `exp` has not passed. */
  verify(path: string, exp: string | undefined, sig: string | undefined): boolean {
    return verifySignedBlobUrl(this.options.secret, path, exp, sig, this.now());
  }
}

/** Constant-time check of a signature and its expiry; any malformed input is simply invalid. */
export function verifySignedBlobUrl(
  secret: Buffer,
  path: string,
  exp: string | undefined,
  sig: string | undefined,
  nowMs: number,
): boolean {
  if (typeof exp !== 'string' || !/^[0-9]{1,12}$/.test(exp)) return false;
  if (typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return false;
  const expSeconds = Number(exp);
  const expected = signature(secret, path, expSeconds);
  const ok = timingSafeEqual(expected, Buffer.from(sig, 'hex'));
  return ok && expSeconds * 1000 > nowMs;
}
