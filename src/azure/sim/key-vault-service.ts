/**
 * Simulated Azure Key Vault secrets API over HTTPS (the SDK refuses to send tokens in clear).
 *
 * - `GET /secrets/{name}[/{version}]?api-version=7.x` (or the dated versions, e.g. 2025-07-01, of
 *   @azure/keyvault-secrets 4.11)
 * - no bearer token: 401 with the challenge the SDK expects,
 *   `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/{tenant}", resource="https://vault.azure.net"`
 * - a token not issued by the identity simulator for `https://vault.azure.net`: 401
 * - a principal without the "Key Vault Secrets User" grant: 403 `Forbidden`
 * - an unknown secret: 404 `SecretNotFound`
 * - otherwise 200 `{value, id, attributes}`
 *
 * Errors use Key Vault's `{"error":{"code","message"}}` body.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../attestation/sim/sim-http.ts';
import { SimulatedService } from '../../attestation/sim/simulated-service.ts';
import { createSelfSignedCertificate, type SelfSignedCertificate } from '../../attestation/sim/self-signed-certificate.ts';
import type { ManagedIdentitySimulator } from './managed-identity-endpoint.ts';

export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';
const SECRET_PATH = /^\/secrets\/([0-9A-Za-z-]{1,127})(?:\/([0-9a-f]{32}))?\/?$/;

export interface KeyVaultSimulatorOptions {
  identity: ManagedIdentitySimulator;
  secrets?: Record<string, string>;
  /** Principals granted secrets get; default: the identity simulator's principal. */
  readers?: string[];
  tenantId?: string;
  /** Serve plain HTTP (for clients with allowInsecureConnection); default HTTPS. */
  insecure?: boolean;
}

export class KeyVaultSimulator extends SimulatedService {
  readonly secrets: Map<string, { value: string; version: string; created: number }>;
  readonly readers: Set<string>;
  readonly certificate: SelfSignedCertificate;
  private readonly tenantId: string;

  constructor(private readonly options: KeyVaultSimulatorOptions) {
    super('Key Vault simulator');
    this.secrets = new Map();
    for (const [name, value] of Object.entries(options.secrets ?? {})) this.setSecret(name, value);
    this.readers = new Set(options.readers ?? [options.identity.principalId]);
    this.tenantId = options.tenantId ?? randomUUID();
    this.certificate = createSelfSignedCertificate({ commonName: 'localhost', ips: ['127.0.0.1'], dnsNames: ['localhost'] });
  }

  setSecret(name: string, value: string): void {
    this.secrets.set(name, { value, version: randomUUID().replace(/-/g, ''), created: Math.floor(Date.now() / 1000) });
  }

  /** The vault URL to give `SecretClient`, e.g. `https://127.0.0.1:40123`. */
  get vaultUrl(): string {
    return this.baseUrl;
  }

  start(host = '127.0.0.1', port = 0): Promise<string> {
    return this.listenOn(host, port, this.options.insecure ? undefined : { key: this.certificate.keyPem, cert: this.certificate.certPem });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://vault');
    const match = SECRET_PATH.exec(url.pathname);
    if (req.method !== 'GET' || !match) {
      vaultError(res, 404, 'NotFound', 'The requested resource was not found.');
      return;
    }
    if (!/^(7\.\d+|\d{4}-\d{2}-\d{2})(-preview)?$/.test(url.searchParams.get('api-version') ?? '')) {
      vaultError(res, 400, 'BadParameter', 'The api-version query parameter is missing or not supported.');
      return;
    }
    const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) {
      vaultError(res, 401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', {
        'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${this.tenantId}", resource="${KEY_VAULT_RESOURCE}"`,
      });
      return;
    }
    const issued = this.options.identity.lookup(bearer);
    if (!issued || issued.resource.replace(/\/+$/, '') !== KEY_VAULT_RESOURCE) {
      vaultError(res, 401, 'Unauthorized', 'AKV10032: Invalid issuer or audience.');
      return;
    }
    if (!this.readers.has(issued.principalId)) {
      vaultError(res, 403, 'Forbidden', `Caller is not authorized to perform action on resource. Caller: oid=${issued.principalId}; Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'`);
      return;
    }
    const name = match[1];
    const secret = this.secrets.get(name);
    if (!secret || (match[2] !== undefined && match[2] !== secret.version)) {
      vaultError(res, 404, 'SecretNotFound', `A secret with (name/id) ${name} was not found in this key vault.`);
      return;
    }
    sendJson(res, 200, {
      value: secret.value,
      id: `${this.vaultUrl}/secrets/${name}/${secret.version}`,
      attributes: { enabled: true, created: secret.created, updated: secret.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
      tags: {},
    });
  }
}

function vaultError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, headers);
}
