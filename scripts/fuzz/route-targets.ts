/**
 * Route fuzz targets: mutated copies of captured requests sent through the operator's request
 * pipeline in memory (`Pipeline.handle`, no sockets). Every answer must be < 500, arrive within the time limit, leak no
 * stack/path, and — when it is a JSON error — be exactly `{"status", "message"?}` (spec §3.3).
 * The run also fails on any "unexpected error" log line (an unhandled exception in a handler).
 */
import { mutateBytes } from './byte-mutator.ts';
import type { FuzzOperator } from './fuzz-operator.ts';
import { findLeak, type FuzzTarget, type Verdict } from './fuzz-target.ts';
import { mutateJson, mutateJsonText } from './json-mutator.ts';
import type { Prng } from './prng.ts';
import { captureCorpus, cstgRequest, refreshRequest, send, v2Request, type CapturedRequest } from './route-corpus.ts';
import { mutateText } from './text-mutator.ts';

const RESPONSE_TIME_LIMIT_MS = 10_000;
/** Captured envelopes carry their timestamp: re-capture before they leave the 120 s window. */
const RECAPTURE_AFTER_MS = 60_000;
const STATUSES = new Set(['success', 'unauthorized', 'client_error', 'optout', 'invalid_token', 'expired_token', 'error', 'invalid_client', 'unknown', 'insufficient_user_consent', 'invalid_http_origin', 'invalid_app_name']);
const CONTENT_TYPES = ['text/plain', 'application/octet-stream', 'application/json', 'application/x-www-form-urlencoded', '', 'multipart/form-data; boundary=x', 'application/octet-stream; charset=utf-8'];

export interface Outgoing {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | string | undefined;
}

/** What the checks read of an answer, from the operator's pipeline or a fastify service's `inject()`. */
interface Response {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** `statuses`: the status vocabulary of the service (the operator's by default; Core and OptOut have their own). */
export function checkResponse(res: Response, label: string, statuses: ReadonlySet<string> | null = STATUSES): Verdict {
  if (res.statusCode >= 500) return `${label}: HTTP ${res.statusCode} ${res.body.slice(0, 160)}`;
  if (res.statusCode === 200) return undefined;
  const leak = findLeak(res.body);
  if (leak) return `${label}: ${leak}: ${res.body.slice(0, 160)}`;
  const type = String(res.headers['content-type'] ?? '');
  // Fastify's own 4xx for a malformed URL or header ({"statusCode","code","error","message"},
  // Core and OptOut): a client error without internals, though not in the catalogue's shape.
  if (type.startsWith('application/json') && res.statusCode < 500 && res.body.includes('"statusCode"')) return undefined;
  if (type.startsWith('application/json')) {
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      return `${label}: invalid JSON error body`;
    }
    const o = json as Record<string, unknown>;
    const keys = Object.keys(o ?? {});
    if (typeof o?.status !== 'string' || (statuses && !statuses.has(o.status))) return `${label}: error body without a known status: ${res.body.slice(0, 120)}`;
    if (o.message !== undefined && typeof o.message !== 'string') return `${label}: non-string message`;
    if (keys.some((k) => k !== 'status' && k !== 'message')) return `${label}: extra fields in error body: ${keys.join(',')}`;
  }
  return undefined;
}

/**
 * What an HTTP/1.1 parser lets through (checked against Node's own): a request line of visible
 * ASCII, and header values of latin1 bytes without control characters. `Pipeline.handle` skips the
 * parser, so the fuzzer applies the same limits to stay realistic.
 */
function escapeChar(c: string): string {
  try {
    return encodeURIComponent(c);
  } catch {
    return '%EF%BF%BD'; // a lone surrogate: what a client would send after replacing it
  }
}

export function onTheWire(out: Outgoing): Outgoing {
  // Backslashes too: clients send them escaped (WHATWG URL rules read a bare one as `/`).
  let url = out.url.replace(/[^\x21-\x7e]|\\/gu, (c) => escapeChar(c));
  if (!url.startsWith('/') || url.startsWith('//')) url = `/${url.replace(/^\/+/, '')}`;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(out.headers)) {
    headers[name] = Buffer.from(value, 'utf8').toString('latin1').replace(/[^\t\x20-\x7e\x80-\xff]/g, '');
  }
  return { ...out, url, headers };
}

async function deliver(fo: FuzzOperator, out: Outgoing, label: string): Promise<Verdict> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), RESPONSE_TIME_LIMIT_MS)));
  try {
    const res = await Promise.race([send(fo, onTheWire(out)), timeout]);
    if (res === 'timeout') return `${label}: no answer within ${RESPONSE_TIME_LIMIT_MS} ms`;
    const verdict = checkResponse(res, label);
    if (verdict) return verdict;
    const errors = fo.takeErrorLogs();
    return errors.length ? `${label}: logged an unexpected error: ${errors[0].slice(0, 200)}` : undefined;
  } catch (err) {
    return `${label}: the pipeline threw ${(err as Error).name}: ${(err as Error).message} (url ${JSON.stringify(onTheWire(out).url)})`;
  } finally {
    clearTimeout(timer);
  }
}

/** Same route and client, the JSON mutated, wrapped in a fresh valid envelope. */
function withMutatedJson(prng: Prng, fo: FuzzOperator, r: CapturedRequest): Outgoing {
  switch (r.kind) {
    case 'v2': {
      const seed = r.json ?? { email: 'user@example.com' };
      const text = prng.chance(0.1) ? mutateJsonText(prng, seed) : undefined;
      return v2Request(fo, r.client ?? fo.special, r.url, text === undefined ? mutateJson(prng, seed) : null, r.binary, text) as Outgoing;
    }
    case 'refresh': {
      const token = (r.json as { refresh_token: string }).refresh_token;
      const mutated = prng.chance(0.7) ? mutateText(prng, token) : mutateBytes(prng, Buffer.from(token, 'base64')).toString('base64');
      return refreshRequest(mutated, r.client) as Outgoing;
    }
    case 'cstg': {
      if (prng.chance(0.5)) {
        // Valid outer request around a mutated inner payload.
        const inner = mutateJsonText(prng, { email_hash: 'lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs=' });
        return cstgRequest(fo, inner) as Outgoing;
      }
      const fresh = cstgRequest(fo, '{"email_hash":"lz3+Rj7IV4X1+Vr1ujkG7tstkxwk5pgkqJ6mXbpOgTs="}');
      return { ...fresh, headers: { ...fresh.headers }, body: mutateJsonText(prng, fresh.json) };
    }
    default:
      return { method: r.method, url: `${r.url}?${mutateText(prng, 'a=1')}`, headers: { ...r.headers }, body: r.body };
  }
}

/** The captured bytes with byte- or text-level damage (framing, base64, truncation). */
function withMutatedBody(prng: Prng, r: CapturedRequest, other: CapturedRequest): Outgoing {
  const body = r.body ?? Buffer.alloc(0);
  const mutated = prng.chance(0.5) ? mutateBytes(prng, body, other.body ?? body) : Buffer.from(mutateText(prng, body.toString('latin1'), (other.body ?? body).toString('latin1')), 'latin1');
  return { method: 'POST', url: r.url, headers: { ...r.headers }, body: mutated };
}

/** The captured request with hostile headers, methods or URLs. */
function withMutatedHeaders(prng: Prng, fo: FuzzOperator, r: CapturedRequest): Outgoing {
  const headers: Record<string, string> = { ...r.headers };
  let { method, url } = r as { method: string; url: string };
  switch (prng.int(7)) {
    case 0:
      delete headers.authorization;
      break;
    case 1:
      headers.authorization = prng.pick([`Bearer ${prng.pick(fo.clients).key}`, `bearer ${mutateText(prng, fo.special.key)}`, 'Bearer', 'Basic abc', `Bearer  ${fo.special.key} `, mutateText(prng, `Bearer ${fo.special.key}`)]);
      break;
    case 2:
      headers['content-type'] = prng.pick(CONTENT_TYPES);
      break;
    case 3:
      headers.origin = prng.pick(['https://localhost', 'null', 'https://evil.example', mutateText(prng, 'https://uidapi.com'), '']);
      headers['x-uid2-client-version'] = mutateText(prng, 'uid2-sdk-3.0.0 Android');
      break;
    case 4:
      method = prng.pick(['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD']);
      break;
    case 5:
      url = prng.pick([`${url}/`, url.toUpperCase(), `${url}?client=${mutateText(prng, 'ios')}`, `${url}%00`, `/${mutateText(prng, url.slice(1))}`, `${url}/../../ops/healthcheck`]);
      break;
    default:
      headers['x-forwarded-for'] = mutateText(prng, '203.0.113.9, 10.0.0.1');
      headers['content-length'] = String(r.body?.length ?? 0);
  }
  return { method, url, headers, body: method === 'GET' || method === 'HEAD' ? undefined : r.body };
}

export async function routeTargets(fo: FuzzOperator): Promise<FuzzTarget[]> {
  let corpus = await captureCorpus(fo);
  let capturedAt = fo.clock.now();
  /** Each route input moves the clock 1 ms, so nonces age out as they would in production. */
  async function next(prng: Prng): Promise<CapturedRequest> {
    fo.clock.advance(1);
    if (fo.clock.now() - capturedAt > RECAPTURE_AFTER_MS) {
      corpus = await captureCorpus(fo);
      capturedAt = fo.clock.now();
    }
    return prng.pick(corpus);
  }
  const target = (name: string, weight: number, mutate: (prng: Prng, r: CapturedRequest) => Outgoing): FuzzTarget => ({
    name,
    weight,
    async run(prng) {
      const r = await next(prng);
      return deliver(fo, mutate(prng, r), `${name} ${r.method} ${r.url}`);
    },
  });
  return [
    target('routes/json', 12, (prng, r) => withMutatedJson(prng, fo, r)),
    target('routes/body', 6, (prng, r) => withMutatedBody(prng, r, prng.pick(corpus))),
    target('routes/headers', 4, (prng, r) => withMutatedHeaders(prng, fo, r)),
  ];
}
