/**
 * Writing an opt-out for `/v2/token/logout` (spec §10.3, upstream `CloudSyncOptOutStore.addEntry`):
 * `POST <optout_api_uri>?identity_hash=<b64 FLH>&advertising_id=<b64 raw UID>` with the operator
 * key as bearer, `UID-Instance-Id`, optional `UID-Trace-Id`, JSON body of the raw identity fields.
 * HTTP 200 is success; anything else, or no `optout_api_uri`, is a failure (the route answers 500).
 * An attested operator also sends its attestation (`Attestation-Token` and the opt-out JWT), which
 * OptOut checks on every operator call as Core does (issue 14 §2).
 */
import { randomBytes } from 'node:crypto';

export interface OptOutRequest {
  readonly identityHash: Buffer;
  readonly advertisingId: Buffer;
  readonly email?: string;
  readonly phone?: string;
  readonly clientIp?: string;
  readonly traceId?: string;
}

export interface OptOutWriter {
  write(request: OptOutRequest): Promise<void>;
}

export class OptOutWriteError extends Error {
  readonly code = 'ERR_OPTOUT_WRITE';

  constructor(message: string) {
    super(message);
    this.name = 'OptOutWriteError';
  }
}

export interface HttpOptOutWriterOptions {
  readonly uri: string | undefined;
  readonly operatorKey: string | undefined;
  readonly instanceIdPrefix: string;
  readonly timeoutMs?: number;
  /** Attested mode: the current attestation headers (attesting first when needed). */
  readonly attestationHeaders?: () => Promise<Record<string, string>>;
}

export class HttpOptOutWriter implements OptOutWriter {
  /** One id per process, as upstream's instance id. */
  private readonly instanceId: string;

  constructor(private readonly o: HttpOptOutWriterOptions) {
    this.instanceId = `${o.instanceIdPrefix}-${randomBytes(8).toString('hex')}`;
  }

  async write(r: OptOutRequest): Promise<void> {
    if (!this.o.uri) throw new OptOutWriteError('optout_api_uri is not configured');
    const url = new URL(this.o.uri);
    url.searchParams.set('identity_hash', r.identityHash.toString('base64'));
    url.searchParams.set('advertising_id', r.advertisingId.toString('base64'));
    const headers: Record<string, string> = { 'Content-Type': 'application/json', 'UID-Instance-Id': this.instanceId };
    if (this.o.operatorKey) headers.Authorization = `Bearer ${this.o.operatorKey}`;
    if (r.traceId) headers['UID-Trace-Id'] = r.traceId;
    if (this.o.attestationHeaders) {
      try {
        Object.assign(headers, await this.o.attestationHeaders());
      } catch {
        throw new OptOutWriteError('not attested');
      }
    }
    const body: Record<string, string> = {};
    if (r.email !== undefined) body.email = r.email;
    if (r.phone !== undefined) body.phone = r.phone;
    if (r.clientIp !== undefined) body.client_ip = r.clientIp;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
    } catch {
      throw new OptOutWriteError('opt-out service unreachable');
    }
    await response.arrayBuffer().catch(() => undefined);
    if (response.status !== 200) throw new OptOutWriteError(`opt-out service answered HTTP ${response.status}`);
  }
}
