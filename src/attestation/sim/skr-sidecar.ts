/**
 * Simulated SKR sidecar, `mcr.microsoft.com/aci/skr` (spec attestation-azure.md §5).
 *
 * - `GET /status` -> 200 `{"message":"Status OK"}`
 * - `POST /attest/raw` `{runtime_data}` -> `{"report": hex}` (report_data = sha256(runtime) ‖ 0³²)
 * - `POST /attest/maa` `{maa_endpoint, runtime_data}` -> 200 `{"token"}`; 400 `{"error"}` for a bad
 *   body; 403 `{"error"}` when MAA fails, followed by `{"token":""}` in the same body, because the
 *   real handler does not return after the error (the quirk clients must survive).
 *
 * The simulated UVM was "launched" with `policyText`: HOST_DATA = SHA-256(policy text), which is
 * how ACI binds the ccePolicy (§2.3). MAA is called at
 * `{maaScheme}://{maa_endpoint}/attest/SevSnpVm?api-version=2020-10-01`; the real sidecar always
 * uses https, the simulator may use http so that a local MAA simulator needs no certificate.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeBase64, encodeBase64Url } from '../../protocol/base64.ts';
import { encodeSnpReport } from './snp-report.ts';
import { parseJsonObject, readBody, sendJson } from './sim-http.ts';
import { SimulatedService } from './simulated-service.ts';

export const DEFAULT_SIM_POLICY = 'package policy\n\napi_version := "0.10.0"\nframework_version := "0.2.3"\n# simulated UID2 operator ccePolicy\n';

export interface SkrSimulatorOptions {
  host?: string;
  /** The real sidecar listens where env `Port` says; UID2 uses 9000. 0 = ephemeral. */
  port?: number;
  /** The decoded ccePolicy this UVM was launched with. */
  policyText?: string;
  /** The SNP guest policy debug bit. */
  debuggable?: boolean;
  maaScheme?: 'http' | 'https';
  maaTimeoutMs?: number;
}

/** The enclave id Core registers for a policy: lowercase hex SHA-256 of the Rego text (§2.3). */
export function policyDigest(policyText: string): string {
  return createHash('sha256').update(policyText, 'utf8').digest('hex');
}

export class SkrSimulator extends SimulatedService {
  policyText: string;
  debuggable: boolean;
  private readonly maaScheme: 'http' | 'https';

  constructor(private readonly options: SkrSimulatorOptions = {}) {
    super('SKR simulator');
    this.policyText = options.policyText ?? DEFAULT_SIM_POLICY;
    this.debuggable = options.debuggable ?? false;
    this.maaScheme = options.maaScheme ?? 'https';
  }

  /** `{base}/attest/maa`, what the provider is configured with. */
  get attestMaaUrl(): string {
    return `${this.baseUrl}/attest/maa`;
  }

  start(): Promise<string> {
    return this.listenOn(this.options.host ?? '127.0.0.1', this.options.port ?? 0);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://skr').pathname;
    if (req.method === 'GET' && path === '/status') {
      sendJson(res, 200, { message: 'Status OK' });
      return;
    }
    if (req.method === 'POST' && (path === '/attest/maa' || path === '/attest/raw')) {
      const body = parseJsonObject(await readBody(req));
      const runtimeData = decodeRuntimeData(body?.runtime_data);
      if (!body || !runtimeData) {
        sendJson(res, 400, { error: 'invalid request format: runtime_data must be standard base64' });
        return;
      }
      if (path === '/attest/raw') {
        sendJson(res, 200, { report: this.report(runtimeData).toString('hex') });
        return;
      }
      if (typeof body.maa_endpoint !== 'string' || body.maa_endpoint === '') {
        sendJson(res, 400, { error: 'invalid request format: maa_endpoint is required' });
        return;
      }
      await this.attestMaa(body.maa_endpoint, runtimeData, res);
      return;
    }
    // Gin's default 404.
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found');
  }

  private report(runtimeData: Buffer): Buffer {
    return encodeSnpReport({
      reportData: Buffer.concat([createHash('sha256').update(runtimeData).digest(), Buffer.alloc(32)]),
      hostData: createHash('sha256').update(this.policyText, 'utf8').digest(),
      measurement: createHash('sha384').update('simulated-uvm').digest(),
      debuggable: this.debuggable,
    });
  }

  private async attestMaa(maaEndpoint: string, runtimeData: Buffer, res: ServerResponse): Promise<void> {
    const evidence = {
      SnpReport: encodeBase64Url(this.report(runtimeData)),
      VcekCertChain: encodeBase64Url(Buffer.from('-----BEGIN CERTIFICATE-----\nsimulated\n-----END CERTIFICATE-----\n')),
      Endorsements: encodeBase64Url(Buffer.from(JSON.stringify({ Uvm: [encodeBase64Url(Buffer.from('simulated-uvm-endorsement'))] }))),
    };
    const request = {
      report: encodeBase64Url(Buffer.from(JSON.stringify(evidence))),
      runtimeData: { data: encodeBase64Url(runtimeData), dataType: 'JSON' },
      nonce: randomBytes(8).readBigUInt64LE().toString(),
    };
    let failure: string;
    try {
      const response = await fetch(`${this.maaScheme}://${maaEndpoint}/attest/SevSnpVm?api-version=2020-10-01`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(this.options.maaTimeoutMs ?? 10_000),
      });
      const text = await response.text();
      const token = parseJsonObject(Buffer.from(text))?.token;
      if (response.status === 200 && typeof token === 'string' && token !== '') {
        sendJson(res, 200, { token });
        return;
      }
      failure = `MAA answered HTTP ${response.status}`;
    } catch (err) {
      failure = `MAA request failed: ${(err as Error).message}`;
    }
    // The real handler writes the error and then, not returning, the empty token too (§5).
    const text = JSON.stringify({ error: `attestation failed: ${failure}` }) + JSON.stringify({ token: '' });
    res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

function decodeRuntimeData(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return decodeBase64(value);
  } catch {
    return undefined;
  }
}
