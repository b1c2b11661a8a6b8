/**
 * The operator's side of `POST /attest` (spec attestation-azure.md §1.2-§1.7, operator-spec.md
 * §12.1; upstream `AttestationResponseHandler`). Each attempt:
 *
 * 1. generates a fresh RSA-2048 key pair (`ephemeral-rsa-key.ts`);
 * 2. asks the platform provider for evidence over (SPKI DER, UTF-8 of `core_attest_url`);
 * 3. POSTs `{attestation_request, public_key, application_name, application_version,
 *    operator_type, components}` with `Authorization`, `X-UID2-AppVersion`, `UID-Instance-Id`;
 * 4. maps the status: 200 success, 401/403 attestation failure, anything else retryable (§1.7);
 * 5. decrypts `attestation_token` (RSAES-PKCS1-v1_5) and keeps it with `expiresAt`, the JWTs and
 *    `optout_url` (§1.4).
 *
 * Every outcome goes to `onOutcome` (the shutdown policy). Attempts never overlap: concurrent
 * callers share the one in flight (upstream's `isAttesting` flag). Renewal ticks every 60 s and
 * re-attests within 10 min of expiry (§1.6); a failed renewal is logged and retried next tick.
 */
import type { Logger } from 'pino';
import type { AttestationProvider } from '../../attestation/types.ts';
import { generateEphemeralKeyPair } from './ephemeral-rsa-key.ts';
import { appVersionHeader, type OperatorIdentity } from './operator-identity.ts';
import type { AttestOutcome } from './shutdown-policy.ts';
import { Ticker } from './ticker.ts';

export const RENEWAL_CHECK_MS = 60_000;
export const RENEWAL_MARGIN_MS = 600_000;

/** What a successful attestation yields; the token is opaque and only echoed back (§1.4). */
export interface Attestation {
  readonly token: string;
  readonly expiresAtMs: number;
  readonly optoutUrl: string | undefined;
  readonly optoutJwt: string | undefined;
  readonly coreJwt: string | undefined;
}

export class AttestationError extends Error {
  readonly code = 'ERR_ATTESTATION';

  constructor(
    readonly outcome: Exclude<AttestOutcome, 'success'>,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'AttestationError';
  }
}

export interface AttestationClientOptions {
  readonly attestUrl: string;
  readonly operatorKey: string;
  readonly operatorType: 'public' | 'private';
  readonly provider: AttestationProvider;
  readonly identity: OperatorIdentity;
  readonly now: () => number;
  readonly logger: Logger;
  /** Receives every attempt's outcome (the shutdown policy, §1.7). */
  readonly onOutcome?: (outcome: AttestOutcome) => void;
  readonly timeoutMs?: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(o: Json, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Core's reason for a 401/403 (`{"status":"enclave id not registered",...}`, spec §2.1), so the
 * log says whether the key or the enclave id was refused. Core's fixed reason texts hold no
 * secret; anything long or unprintable is left out.
 */
function coreReason(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    const status = isObject(body) ? optionalString(body, 'status') : undefined;
    return status !== undefined && /^[\x20-\x7e]{1,120}$/.test(status) ? status : undefined;
  } catch {
    return undefined;
  }
}

export class AttestationClient {
  private currentAttestation: Attestation | undefined;
  private inFlight: Promise<Attestation> | undefined;
  private readonly renewalTicker = new Ticker(() => void this.renewIfDue());

  constructor(private readonly o: AttestationClientOptions) {}

  /** The attestation in force, if any (possibly expired). */
  current(): Attestation | undefined {
    return this.currentAttestation;
  }

  /** A token exists and has not expired (upstream `attested()`). */
  isAttested(): boolean {
    const a = this.currentAttestation;
    return a !== undefined && this.o.now() < a.expiresAtMs;
  }

  /** The attestation in force, attesting first when there is none or it expired (§1.5). */
  async ensureAttested(): Promise<Attestation> {
    if (this.isAttested()) return this.currentAttestation!;
    return this.attest();
  }

  /** Drops the token, e.g. after Core refused it, so the next request re-attests. */
  invalidate(): void {
    this.currentAttestation = undefined;
  }

  /** One attestation attempt, shared by concurrent callers. Throws `AttestationError`. */
  attest(): Promise<Attestation> {
    this.inFlight ??= this.attemptAndReport().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async attemptAndReport(): Promise<Attestation> {
    try {
      const result = await this.attempt();
      this.currentAttestation = result;
      this.o.logger.info({ expiresAt: new Date(result.expiresAtMs).toISOString() }, 'attestation successful');
      this.o.onOutcome?.('success');
      return result;
    } catch (err) {
      const error = err instanceof AttestationError ? err : new AttestationError('retryable', (err as Error)?.message ?? 'attestation failed');
      this.o.logger.warn({ outcome: error.outcome, status: error.status, reason: error.message }, 'attestation failed');
      this.o.onOutcome?.(error.outcome);
      throw error;
    }
  }

  private async attempt(): Promise<Attestation> {
    const { identity } = this.o;
    const keyPair = await generateEphemeralKeyPair();
    const evidence = await this.o.provider.getAttestationRequest(keyPair.spkiDer, Buffer.from(this.o.attestUrl, 'utf8'));
    const body = {
      attestation_request: evidence.toString('base64'),
      public_key: keyPair.spkiDer.toString('base64'),
      application_name: identity.applicationName,
      application_version: identity.applicationVersion,
      operator_type: this.o.operatorType,
      components: identity.components,
    };
    let response: Response;
    try {
      response = await fetch(this.o.attestUrl, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${this.o.operatorKey}`,
          'X-UID2-AppVersion': appVersionHeader(identity),
          'UID-Instance-Id': identity.instanceId,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch {
      throw new AttestationError('retryable', 'Core is unreachable');
    }
    const text = await response.text().catch(() => '');
    if (response.status === 401 || response.status === 403) {
      const reason = coreReason(text);
      throw new AttestationError('attestation_failure', `Core rejected the attestation with HTTP ${response.status}${reason ? ` (${reason})` : ''}`, response.status);
    }
    if (response.status !== 200) throw new AttestationError('retryable', `Core answered HTTP ${response.status}`, response.status);
    return this.parseSuccess(text, keyPair.decrypt);
  }

  /** Requires status "success", a body, `attestation_token` and `expiresAt`, else retryable (§1.4). */
  private parseSuccess(text: string, decrypt: (ct: Buffer) => Buffer): Attestation {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AttestationError('retryable', 'attestation response is not JSON', 200);
    }
    if (!isObject(json) || json.status !== 'success' || !isObject(json.body)) {
      throw new AttestationError('retryable', 'attestation response is not a success envelope', 200);
    }
    const body = json.body;
    const wrapped = optionalString(body, 'attestation_token');
    const expiresAt = optionalString(body, 'expiresAt');
    const expiresAtMs = expiresAt === undefined ? NaN : Date.parse(expiresAt);
    if (wrapped === undefined || Number.isNaN(expiresAtMs)) {
      throw new AttestationError('retryable', 'attestation response lacks attestation_token or a valid expiresAt', 200);
    }
    let token: string;
    try {
      token = decrypt(Buffer.from(wrapped, 'base64')).toString('utf8');
    } catch {
      throw new AttestationError('retryable', 'attestation_token cannot be decrypted with this attempt\'s key', 200);
    }
    return Object.freeze({
      token,
      expiresAtMs,
      optoutUrl: optionalString(body, 'optout_url'),
      optoutJwt: optionalString(body, 'attestation_jwt_optout'),
      coreJwt: optionalString(body, 'attestation_jwt_core'),
    });
  }

  /** True when the token is missing or within `RENEWAL_MARGIN_MS` of expiry (§1.6). */
  needsRenewal(): boolean {
    const a = this.currentAttestation;
    return a === undefined || this.o.now() > a.expiresAtMs - RENEWAL_MARGIN_MS;
  }

  /** One renewal tick; never throws. */
  async renewIfDue(): Promise<void> {
    if (!this.needsRenewal()) return;
    await this.attest().catch(() => undefined);
  }

  /** Starts the 60 s renewal ticker. The timer does not keep the process alive. */
  startRenewal(intervalMs = RENEWAL_CHECK_MS): void {
    this.renewalTicker.start(intervalMs);
  }

  stop(): void {
    this.renewalTicker.stop();
  }
}
