/**
 * Simulated Microsoft Azure Attestation (spec attestation-azure.md §5, §6.2).
 *
 * - `GET /certs` -> `{"keys":[{"kid","kty":"RSA","x5c":[b64 DER]}]}` (a self-signed certificate)
 * - `POST /attest/SevSnpVm?api-version=2020-10-01` with the SKR's body
 *   `{report: b64url(JSON{SnpReport,VcekCertChain,Endorsements}), runtimeData:{data,dataType:"JSON"}, nonce}`
 *   -> 200 `{"token": RS256 JWT}` carrying the real sevsnpvm claim set, or 400 `{"error":{code,message}}`.
 *
 * MAA's own checks are reproduced where they matter to Core: REPORT_DATA must equal
 * SHA-256(runtime data) ‖ 0³², and HOST_DATA and the debug bit are only reported. The `knobs` let
 * tests make MAA lie in each way the Core verifier must catch.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SignJWT } from 'jose';
import { decodeBase64Url, encodeBase64Url } from '../../protocol/base64.ts';
import { createSelfSignedCertificate, type SelfSignedCertificate } from './self-signed-certificate.ts';
import { decodeSnpReport } from './snp-report.ts';
import { parseJsonObject, readBody, sendJson } from './sim-http.ts';
import { SimulatedService } from './simulated-service.ts';

export interface MaaKnobs {
  /** `x-ms-attestation-type`; real: "sevsnpvm". */
  attestationType?: string;
  /** `x-ms-compliance-status`; real: "azure-compliant-uvm". */
  complianceStatus?: string;
  /** Overrides the debug bit read from the report. */
  debuggable?: boolean;
  /** Overrides `x-ms-runtime.location` (the runtime JSON is otherwise echoed as sent). */
  location?: string;
  /** Claims to leave out of the token, e.g. `x-ms-runtime`. */
  omitClaims?: string[];
  /** Issue a token whose `exp` is already in the past. */
  expired?: boolean;
  /** Sign with a key that `/certs` does not publish, under the published kid (a forgery). */
  signWithForeignKey?: boolean;
  /** Put a kid in the header that `/certs` does not list. */
  unknownKid?: boolean;
  /** `iss`; real MAA uses its base URL. */
  issuer?: string;
  /** Make attestation itself fail with this HTTP status (MAA rejecting the evidence). */
  rejectWithStatus?: number;
  /** `GET /certs` answers 503: an MAA outage as Core sees it (INTERNAL_ERROR, retryable). */
  certsUnavailable?: boolean;
}

export interface MaaSimulatorOptions {
  host?: string;
  port?: number;
  knobs?: MaaKnobs;
  /** Token lifetime; real MAA tokens last 8 h. */
  lifetimeSeconds?: number;
}

interface SigningIdentity {
  kid: string;
  cert: SelfSignedCertificate;
}

export class MaaSimulator extends SimulatedService {
  knobs: MaaKnobs;
  private readonly signer: SigningIdentity;
  private readonly foreignKey: KeyObject;
  private readonly lifetimeSeconds: number;
  /** Number of attestations served (tests assert the chain really went through MAA). */
  attestCount = 0;

  constructor(private readonly options: MaaSimulatorOptions = {}) {
    super('MAA simulator');
    this.knobs = { ...(options.knobs ?? {}) };
    this.lifetimeSeconds = options.lifetimeSeconds ?? 8 * 3600;
    const cert = createSelfSignedCertificate({ commonName: 'Simulated MAA token signing' });
    this.signer = { kid: encodeBase64Url(createHash('sha256').update(cert.certDer).digest()), cert };
    this.foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  }

  /** The kid of the published signing certificate. */
  get kid(): string {
    return this.signer.kid;
  }

  start(): Promise<string> {
    return this.listenOn(this.options.host ?? '127.0.0.1', this.options.port ?? 0);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://maa');
    if (req.method === 'GET' && url.pathname === '/certs') {
      if (this.knobs.certsUnavailable) {
        maaError(res, 503, 'ServiceUnavailable', 'signing certificates temporarily unavailable');
        return;
      }
      sendJson(res, 200, { keys: [{ kid: this.signer.kid, kty: 'RSA', x5c: [this.signer.cert.certDer.toString('base64')] }] });
      return;
    }
    if (req.method === 'POST' && url.pathname === '/attest/SevSnpVm') {
      if (url.searchParams.get('api-version') !== '2020-10-01') {
        maaError(res, 400, 'InvalidParameter', 'unsupported api-version');
        return;
      }
      await this.attest(await readBody(req), res);
      return;
    }
    maaError(res, 404, 'NotFound', 'no such endpoint');
  }

  private async attest(body: Buffer, res: ServerResponse): Promise<void> {
    const request = parseJsonObject(body);
    const evidence = request && typeof request.report === 'string' ? decodeJsonB64Url(request.report) : undefined;
    const snp = evidence && typeof evidence.SnpReport === 'string' ? safeB64Url(evidence.SnpReport) : undefined;
    const report = snp ? decodeSnpReport(snp) : undefined;
    const runtime = request?.runtimeData as { data?: unknown; dataType?: unknown } | undefined;
    const runtimeBytes = typeof runtime?.data === 'string' ? safeB64Url(runtime.data) : undefined;
    if (!report || !runtimeBytes) {
      maaError(res, 400, 'InvalidParameter', 'report or runtimeData is malformed');
      return;
    }
    const expected = Buffer.concat([createHash('sha256').update(runtimeBytes).digest(), Buffer.alloc(32)]);
    if (!expected.equals(report.reportData)) {
      maaError(res, 400, 'InvalidParameter', 'report data does not match the hash of the runtime data');
      return;
    }
    let runtimeClaim: unknown;
    if (runtime?.dataType === 'JSON') {
      const parsed = parseJsonObject(runtimeBytes);
      if (!parsed) {
        maaError(res, 400, 'InvalidParameter', 'runtime data is not JSON');
        return;
      }
      runtimeClaim = this.knobs.location === undefined ? parsed : { ...parsed, location: this.knobs.location };
    }
    if (this.knobs.rejectWithStatus) {
      maaError(res, this.knobs.rejectWithStatus, 'AttestationFailed', 'evidence rejected by policy');
      return;
    }
    this.attestCount++;
    sendJson(res, 200, { token: await this.mint(report, runtimeClaim) });
  }

  private async mint(report: NonNullable<ReturnType<typeof decodeSnpReport>>, runtimeClaim: unknown): Promise<string> {
    const k = this.knobs;
    const claims: Record<string, unknown> = {
      'x-ms-attestation-type': k.attestationType ?? 'sevsnpvm',
      'x-ms-compliance-status': k.complianceStatus ?? 'azure-compliant-uvm',
      'x-ms-policy-hash': encodeBase64Url(createHash('sha256').update('default-policy').digest()),
      'x-ms-sevsnpvm-hostdata': report.hostData.toString('hex'),
      'x-ms-sevsnpvm-is-debuggable': k.debuggable ?? report.debuggable,
      'x-ms-sevsnpvm-launchmeasurement': report.measurement.toString('hex'),
      'x-ms-sevsnpvm-reportdata': report.reportData.toString('hex'),
      'x-ms-sevsnpvm-vmpl': 0,
      'x-ms-ver': '1.0',
    };
    if (runtimeClaim !== undefined) claims['x-ms-runtime'] = runtimeClaim;
    for (const name of k.omitClaims ?? []) delete claims[name];
    const now = Math.floor(Date.now() / 1000);
    const issuedAt = k.expired ? now - this.lifetimeSeconds - 60 : now;
    return new SignJWT(claims)
      .setProtectedHeader({
        alg: 'RS256',
        jku: `${this.baseUrl}/certs`,
        kid: k.unknownKid ? `${this.signer.kid}-retired` : this.signer.kid,
        typ: 'JWT',
      })
      .setIssuer(k.issuer ?? this.baseUrl)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + this.lifetimeSeconds)
      .sign(k.signWithForeignKey ? this.foreignKey : this.signer.cert.privateKey);
  }
}

function maaError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

function safeB64Url(text: string): Buffer | undefined {
  try {
    return decodeBase64Url(text.replace(/=+$/, ''));
  } catch {
    return undefined;
  }
}

function decodeJsonB64Url(text: string): Record<string, unknown> | undefined {
  const bytes = safeB64Url(text);
  return bytes ? parseJsonObject(bytes) : undefined;
}
