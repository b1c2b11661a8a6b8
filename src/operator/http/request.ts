/**
 * A request as the pipeline sees it, whatever carried it: method, path and query, the few headers
 * the operator acts on, and the caller's address. The HTTP server fills it from the request line
 * and raw header list (server.ts); tests and the fuzzer may build one directly.
 */

/** The request headers the operator reads (lower-case names). */
export interface HeadHeaders {
  readonly authorization?: string;
  readonly 'content-type'?: string;
  readonly 'content-length'?: string;
  readonly 'transfer-encoding'?: string;
  readonly origin?: string;
  readonly referer?: string;
  readonly 'access-control-request-method'?: string;
  readonly 'x-uid2-client-version'?: string;
  readonly 'x-forwarded-for'?: string;
  readonly 'uid-trace-id'?: string;
}

export type HeadHeaderName = keyof HeadHeaders;

export const HEAD_HEADER_NAMES: readonly HeadHeaderName[] = [
  'authorization',
  'content-type',
  'content-length',
  'transfer-encoding',
  'origin',
  'referer',
  'access-control-request-method',
  'x-uid2-client-version',
  'x-forwarded-for',
  'uid-trace-id',
];

/**
 * Headers of which a repeat is dropped rather than joined with ", " (Node's rule for these
 * names, which `IncomingMessage.headers` applies).
 */
export const FIRST_VALUE_ONLY: ReadonlySet<string> = new Set(['authorization', 'content-type', 'content-length', 'referer']);

export interface RequestHead {
  readonly method: string;
  /** The request target's path, without the query. */
  readonly path: string;
  /** The query without its `?` ('' when there is none). */
  readonly query: string;
  readonly headers: HeadHeaders;
  /** The peer's address (the load balancer's, behind one). */
  readonly remoteAddress: string | undefined;
}

/** A whole request, body included (the pipeline's transport-free entry, `Pipeline.handle`). */
export interface OperatorRequest extends RequestHead {
  readonly body: Buffer;
}

/** Splits a request target into path and query. */
export function splitTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

/** Upstream honours X-Forwarded-For (spec §1): the leftmost address, else the peer's. */
export function clientAddressOf(head: RequestHead): string | undefined {
  const forwarded = head.headers['x-forwarded-for'];
  const first = forwarded === undefined ? '' : forwarded.split(',')[0].trim();
  return first.length > 0 ? first : head.remoteAddress;
}

const OCTET_STREAM = 'application/octet-stream';

export function isOctetStream(contentType: string | undefined): boolean {
  // Shorter values cannot name it: the common text/plain request skips the parsing (issue 6).
  if (contentType === undefined || contentType.length < OCTET_STREAM.length) return false;
  return contentType.split(';')[0].trim().toLowerCase() === OCTET_STREAM;
}
