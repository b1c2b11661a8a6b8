/**
 * HTTP to Core and OptOut once attested (spec attestation-azure.md §1.5, operator-spec.md §12.2;
 * upstream `UidCoreClient` / `UidOptOutClient`):
 *
 * - metadata requests attest first when there is no valid token, then send `Authorization`,
 *   `Attestation-Token`, `Attestation-JWT` (the Core JWT, or the opt-out JWT towards OptOut),
 *   `X-UID2-AppVersion`, `UID-Instance-Id`, and `Encrypted: true` with `encrypted_files`;
 * - content is fetched from the signed URL by plain GET, with no credentials (§12.2).
 *
 * A non-200 answer is "E12: Data Download Failure". A 401 additionally drops the token, so the
 * next request re-attests (e.g. Core restarted with new token keys); the failure still counts.
 */
import type { Attestation, AttestationClient } from './attestation-client.ts';
import { appVersionHeader, type OperatorIdentity } from './operator-identity.ts';
import { responseBytes } from './response-body.ts';

export type Audience = 'core' | 'optout';

export class DownloadError extends Error {
  readonly code = 'ERR_DOWNLOAD';

  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface AttestedFetcherOptions {
  readonly attestation: AttestationClient;
  readonly operatorKey: string;
  readonly identity: OperatorIdentity;
  readonly encryptedFiles: boolean;
  readonly timeoutMs?: number;
}

/** Strips the query (the signature) so logs never carry a usable download link. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'invalid URL';
  }
}

/** `Attestation-Token` and the audience's `Attestation-JWT` (the Core JWT, or the opt-out JWT towards OptOut). */
export function attestationHeaders(attestation: Attestation, audience: Audience): Record<string, string> {
  const jwt = audience === 'core' ? attestation.coreJwt : attestation.optoutJwt;
  const headers: Record<string, string> = { 'Attestation-Token': attestation.token };
  if (jwt !== undefined) headers['Attestation-JWT'] = jwt;
  return headers;
}

export class AttestedFetcher {
  constructor(private readonly o: AttestedFetcherOptions) {}

  /**
   * GET a metadata document with the attestation headers; returns the parsed JSON. The URL may
   * depend on the attestation (the opt-out base URL comes from Core's answer).
   */
  async getJson(target: string | ((attestation: Attestation) => string), audience: Audience): Promise<unknown> {
    const attestation = await this.o.attestation.ensureAttested();
    const url = typeof target === 'string' ? target : target(attestation);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.o.operatorKey}`,
      ...attestationHeaders(attestation, audience),
      'X-UID2-AppVersion': appVersionHeader(this.o.identity),
      'UID-Instance-Id': this.o.identity.instanceId,
    };
    if (this.o.encryptedFiles) headers.Encrypted = 'true';
    const response = await this.send(url, headers);
    if (response.status === 401) this.o.attestation.invalidate();
    const body = await this.readBody(response, url);
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new DownloadError(`E12: Data Download Failure: ${redactUrl(url)} did not return JSON`);
    }
  }

  /**
   * GET the bytes at a signed URL, without credentials. `shared`: into shared memory
   * (`SharedArrayBuffer`), for files that job threads will read in place.
   */
  async download(url: string, options: { readonly shared?: boolean } = {}): Promise<Buffer> {
    return this.readBody(await this.send(url, {}), url, options.shared ?? false);
  }

  private async send(url: string, headers: Record<string, string>): Promise<Response> {
    try {
      return await fetch(url, { headers, signal: AbortSignal.timeout(this.o.timeoutMs ?? 60_000) });
    } catch {
      throw new DownloadError(`E12: Data Download Failure: ${redactUrl(url)} unreachable`);
    }
  }

  private async readBody(response: Response, url: string, shared = false): Promise<Buffer> {
    let body: Buffer;
    try {
      body = await responseBytes(response, shared);
    } catch {
      throw new DownloadError(`E12: Data Download Failure: ${redactUrl(url)} body interrupted`);
    }
    if (response.status !== 200) {
      throw new DownloadError(`E12: Data Download Failure: ${redactUrl(url)} answered HTTP ${response.status}`, response.status);
    }
    return body;
  }
}
