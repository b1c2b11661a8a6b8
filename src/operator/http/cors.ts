/**
 * CORS on every route (spec §14, upstream `createCorsHandler`): any origin is reflected; methods
 * GET/POST/OPTIONS; a fixed header allow-list, plus `Authorization` on `/v2/token/validate`.
 * Preflight requests are answered before routing, so they work on every path.
 */
import type { Answer } from './answer.ts';
import type { RequestHead } from './request.ts';

const ALLOWED_HEADERS = [
  'X-UID2-Client-Version',
  'Access-Control-Request-Method',
  'Access-Control-Allow-Credentials',
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Headers',
  'Content-Type',
];
const ALLOWED_METHODS = 'GET,POST,OPTIONS';
const VALIDATE_PATH = '/v2/token/validate';

/** True for a CORS preflight: OPTIONS with an Origin and the method it asks for. */
export function isPreflight(head: RequestHead): boolean {
  return head.method === 'OPTIONS' && hasOrigin(head) && head.headers['access-control-request-method'] !== undefined;
}

function hasOrigin(head: RequestHead): boolean {
  const origin = head.headers.origin;
  return origin !== undefined && origin.length > 0;
}

/** The preflight's answer: 204, no body, the allowed methods and headers (the origin is added to every answer). */
export function preflightAnswer(head: RequestHead): Answer {
  const allowed = head.path === VALIDATE_PATH ? [...ALLOWED_HEADERS, 'Authorization'] : ALLOWED_HEADERS;
  return { statusCode: 204, contentType: '', body: '', headers: ['Access-Control-Allow-Methods', ALLOWED_METHODS, 'Access-Control-Allow-Headers', allowed.join(',')] };
}

/** Headers every answer to a request with an Origin carries (name, value pairs; empty without one). */
export function corsHeaders(head: RequestHead): string[] {
  return hasOrigin(head) ? ['Access-Control-Allow-Origin', head.headers.origin!, 'Vary', 'Origin'] : [];
}
