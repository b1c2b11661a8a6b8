/**
 * HTTP to the operator with global `fetch`: v2 envelopes for the authenticated routes (spec §3),
 * raw text for refresh and CSTG. Any non-2xx answer becomes a `Uid2ClientError` carrying the
 * HTTP status and the upstream `{"status","message"}`.
 */
import { randomBytes } from 'node:crypto';
import { decodeBase64 } from '../protocol/base64.ts';
import { NONCE_SIZE, decodeResponseEnvelope, encodeRequestEnvelope } from '../protocol/envelope-v2.ts';
import { Uid2ClientError } from './client-error.ts';

export interface TransportOptions {
  /** e.g. `http://127.0.0.1:8080`; a trailing slash is ignored. */
  baseUrl: string;
  apiKey: string;
  /** Client secret, base64 of 32 bytes. */
  secretKey: string;
  /** Sent as `X-UID2-Client-Version`; used by the operator for metrics only (spec §14). */
  clientVersion?: string;
  /** Clock for envelope timestamps; defaults to `Date.now`. */
  now?: () => number;
}

export interface RawResponse {
  httpStatus: number;
  contentType: string;
  body: Buffer;
}

/** The JSON inside a v2 response envelope: `{"status":"success","body":...}` or a soft status. */
export interface EnvelopeJson {
  status: string;
  body?: unknown;
}

const CLIENT_VERSION = 'uid2-ts-client-0.1.0';
const OCTET_STREAM = 'application/octet-stream';

export class OperatorTransport {
  private readonly baseUrl: string;
  private readonly secret: Buffer;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.secret = options.secretKey ? decodeBase64(options.secretKey) : Buffer.alloc(0);
  }

  /** POSTs `body` and returns the raw answer; throws `Uid2ClientError` for non-2xx or no connection. */
  async post(path: string, body: string | Uint8Array, headers: Record<string, string>): Promise<RawResponse> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'X-UID2-Client-Version': this.options.clientVersion ?? CLIENT_VERSION, ...headers },
        body,
      });
    } catch (err) {
      throw new Uid2ClientError(0, undefined, 'could not reach the operator', { cause: err });
    }
    const bytes = Buffer.from(await response.arrayBuffer());
    if (!response.ok) throw Uid2ClientError.fromResponse(response.status, bytes.toString('utf8'));
    return { httpStatus: response.status, contentType: response.headers.get('content-type') ?? '', body: bytes };
  }

  /**
   * Sends `payload` in a v2 request envelope (base64 text, or raw bytes with `binary`, as the SDKs
   * do for /v3/identity/map) and returns the decrypted JSON after checking the echoed nonce.
   */
  async postEnvelope(path: string, payload: object | undefined, binary = false): Promise<EnvelopeJson> {
    const nonce = randomBytes(NONCE_SIZE);
    const envelope = encodeRequestEnvelope(this.secret, {
      nowMs: (this.options.now ?? Date.now)(),
      nonce,
      payload: payload === undefined ? null : JSON.stringify(payload),
    });
    const response = await this.post(path, binary ? envelope : envelope.toString('base64'), {
      Authorization: `Bearer ${this.options.apiKey}`,
      'Content-Type': binary ? OCTET_STREAM : 'text/plain',
    });
    // The operator answers raw bytes only with exactly this content type (client-expectations.md).
    const isBinary = response.contentType === OCTET_STREAM;
    let decoded;
    try {
      decoded = decodeResponseEnvelope(this.secret, isBinary ? response.body : response.body.toString('latin1').trim());
    } catch (err) {
      throw new Uid2ClientError(response.httpStatus, undefined, 'response envelope could not be decrypted', { cause: err });
    }
    if (!decoded.nonce.equals(nonce)) throw new Uid2ClientError(response.httpStatus, undefined, 'response nonce does not match the request');
    return parseEnvelopeJson(response.httpStatus, decoded.json);
  }
}

export function parseEnvelopeJson(httpStatus: number, text: string): EnvelopeJson {
  try {
    const value = JSON.parse(text) as EnvelopeJson;
    if (value && typeof value === 'object' && typeof value.status === 'string') return value;
  } catch {
    // reported below
  }
  throw new Uid2ClientError(httpStatus, undefined, 'response is not the expected JSON');
}

/** The `body` of a success answer; a soft status here is an error the caller did not expect. */
export function successBody<T>(json: EnvelopeJson): T {
  if (json.status !== 'success') throw new Uid2ClientError(200, json.status, undefined);
  return json.body as T;
}
