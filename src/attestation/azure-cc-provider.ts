/**
 * Operator-side azure-cc attestation through the SKR sidecar (spec attestation-azure.md §1.3(a), §5).
 *
 * The evidence is a Microsoft Azure Attestation (MAA) JWT. The operator's fresh public key and the
 * Core attest URL are bound into it through the SEV-SNP REPORT_DATA, which the sidecar sets to
 * SHA-256 of the runtime-data JSON below; MAA echoes the parsed JSON back as `x-ms-runtime`.
 */
import type { AttestationProvider } from './types.ts';

export const DEFAULT_SKR_URL = 'http://localhost:9000/attest/maa';
export const DEFAULT_MAA_BASE_URL = 'https://sharedeus.eus.attest.azure.net';
/** Upstream hard-codes the location (a TODO in `getLocation()`), §1.3(a) step 1. */
export const DEFAULT_LOCATION = 'East US';

export type SkrErrorCode = 'SKR_UNREACHABLE' | 'SKR_HTTP_STATUS' | 'SKR_EMPTY_TOKEN' | 'SKR_BAD_RESPONSE' | 'SKR_NOT_READY';

/** A failure talking to the SKR sidecar. `status` is the sidecar's HTTP status when there was one. */
export class SkrError extends Error {
  constructor(
    readonly code: SkrErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SkrError';
  }
}

export interface AzureCcProviderOptions {
  /** The sidecar's `/attest/maa` URL; upstream hard-codes the default. */
  skrUrl?: string;
  /** `maa_server_base_url`; only its host (with port, if any) is sent as `maa_endpoint`. */
  maaBaseUrl?: string;
  location?: string;
  /** Per-request timeout towards the sidecar. */
  timeoutMs?: number;
}

/**
 * The runtime-data JSON, keys in upstream's Gson field order (§1.3(a)). Upstream's Gson also
 * escapes `=` as `\u003d`; that changes only the bytes hashed into REPORT_DATA, not the parsed
 * `x-ms-runtime` claim Core checks, so plain JSON is used here.
 */
export function buildRuntimeData(location: string, spkiDer: Buffer, userData: Buffer): Buffer {
  const json = JSON.stringify({
    location,
    publicKey: spkiDer.toString('base64'),
    attestationUrl: userData.toString('base64'),
  });
  return Buffer.from(json, 'utf8');
}

export class AzureCcSkrProvider implements AttestationProvider {
  readonly name = 'azure-cc';
  private readonly skrUrl: string;
  private readonly maaEndpoint: string;
  private readonly location: string;
  private readonly timeoutMs: number;

  constructor(options: AzureCcProviderOptions = {}) {
    this.skrUrl = options.skrUrl ?? DEFAULT_SKR_URL;
    this.maaEndpoint = new URL(options.maaBaseUrl ?? DEFAULT_MAA_BASE_URL).host;
    this.location = options.location ?? DEFAULT_LOCATION;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Returns the ASCII bytes of the MAA JWT; Core receives base64 of these (§1.3(a) step 3). */
  async getAttestationRequest(spkiDer: Buffer, userData: Buffer): Promise<Buffer> {
    const runtimeData = buildRuntimeData(this.location, spkiDer, userData);
    const body = JSON.stringify({ maa_endpoint: this.maaEndpoint, runtime_data: runtimeData.toString('base64') });
    let response: Response;
    try {
      response = await fetch(this.skrUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SkrError('SKR_UNREACHABLE', `SKR sidecar unreachable at ${this.skrUrl}: ${(err as Error).message}`);
    }
    const text = await response.text().catch(() => '');
    // The sidecar answers 403 {"error"} followed by {"token":""} (§5 quirk), so the status decides.
    if (response.status !== 200) {
      throw new SkrError('SKR_HTTP_STATUS', `SKR sidecar answered HTTP ${response.status}: ${sidecarError(text)}`, response.status);
    }
    const token = parseToken(text);
    if (token === undefined) throw new SkrError('SKR_BAD_RESPONSE', 'SKR sidecar response is not {"token":...}', 200);
    if (token === '') throw new SkrError('SKR_EMPTY_TOKEN', 'SKR sidecar returned an empty token', 200);
    return Buffer.from(token, 'ascii');
  }
}

function parseToken(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed !== null && typeof parsed === 'object' && typeof (parsed as { token?: unknown }).token === 'string') {
      return (parsed as { token: string }).token;
    }
  } catch {
    // fall through: not JSON
  }
  return undefined;
}

/** The sidecar's `{"error":"..."}` text, bounded so a hostile body cannot flood the log. */
function sidecarError(text: string): string {
  const match = /"error"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text);
  return (match ? match[1] : 'no error message').slice(0, 300);
}

export interface SidecarWaitOptions {
  /** The sidecar base URL (`GET {base}/status`); default `http://localhost:9000`. */
  baseUrl?: string;
  /** Upstream makes 15 attempts (§1.1 step 6). */
  attempts?: number;
  /** Linear back-off: attempt n waits n × stepMs before the next try. Upstream: 1 s. */
  stepMs?: number;
  sleep?: (ms: number) => Promise<void>;
  timeoutMs?: number;
}

/**
 * Waits until the sidecar answers `GET /status` with 200. Without this wait the first attestation
 * races the sidecar and Core answers BAD_PAYLOAD (§1.1 step 6). Throws SKR_NOT_READY when the
 * attempts are exhausted.
 */
export async function waitForSidecar(options: SidecarWaitOptions = {}): Promise<number> {
  const base = (options.baseUrl ?? 'http://localhost:9000').replace(/\/+$/, '');
  const attempts = options.attempts ?? 15;
  const stepMs = options.stepMs ?? 1000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const response = await fetch(`${base}/status`, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      await response.arrayBuffer().catch(() => undefined);
      if (response.status === 200) return attempt;
    } catch {
      // not accepting connections yet
    }
    if (attempt < attempts) await sleep(attempt * stepMs);
  }
  throw new SkrError('SKR_NOT_READY', `SKR sidecar at ${base} not ready after ${attempts} attempts`);
}
