/**
 * Validation of blob paths (docs/architecture.md "Blob storage"): `/`-separated, relative, no empty,
 * `.` or `..` segments, no backslashes or control characters. Every backend checks paths with the
 * same rule so a path valid on one is valid on all, and no path can escape a filesystem root.
 */
export class BlobPathError extends Error {
  readonly code = 'ERR_BLOB_PATH';
  constructor(message: string) {
    super(message);
    this.name = 'BlobPathError';
  }
}

// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\\\u0000-\u001f\u007f]/;

export function isValidBlobPath(path: string): boolean {
  if (typeof path !== 'string' || path.length === 0 || path.length > 1024 || FORBIDDEN.test(path)) return false;
  return path.split('/').every((s) => s.length > 0 && s !== '.' && s !== '..');
}

/** Throws `BlobPathError` unless `path` is a valid blob path; returns it for chaining. */
export function assertBlobPath(path: string): string {
  if (!isValidBlobPath(path)) throw new BlobPathError('invalid blob path');
  return path;
}

/** A list prefix may be empty or end anywhere, but must not smuggle in `..` or backslashes. */
export function assertBlobPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || FORBIDDEN.test(prefix) || prefix.split('/').some((s) => s === '..')) {
    throw new BlobPathError('invalid blob prefix');
  }
  return prefix;
}

/**
 * The blob path a store `location` names (`/stores/operators/operators.json` ->
 * `stores/operators/operators.json`): leading slashes dropped, then the blob path rule. Undefined
 * when the location could not be a blob path (it would escape the store's root). Core and OptOut
 * both read metadata `location`s this way (docs/architecture.md "Data sets").
 */
export function blobPathOfLocation(location: string): string | undefined {
  if (typeof location !== 'string') return undefined;
  const path = location.replace(/^\/+/, '');
  return isValidBlobPath(path) ? path : undefined;
}
