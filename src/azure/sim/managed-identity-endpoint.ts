/**
 * Simulated managed-identity token endpoint, speaking both protocols `@azure/identity` 4.13
 * (through msal-node) selects from the environment:
 *
 * - IMDS: `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=...` with
 *   `Metadata: true` (host via `AZURE_POD_IDENTITY_AUTHORITY_HOST`);
 * - App Service: `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...` with
 *   `X-IDENTITY-HEADER: {IDENTITY_HEADER}`.
 *
 * It answers `{access_token, expires_on, resource, token_type:"Bearer", client_id}` and remembers
 * each token's principal and audience so the Key Vault simulator can check them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../attestation/sim/sim-http.ts';
import { SimulatedService } from '../../attestation/sim/simulated-service.ts';

export const APP_SERVICE_PATH = '/msi/token';
export const IMDS_PATH = '/metadata/identity/oauth2/token';

export interface IssuedToken {
  principalId: string;
  resource: string;
  expiresAt: number;
}

export class ManagedIdentitySimulator extends SimulatedService {
  /** The identity the container group runs as. */
  readonly principalId = randomUUID();
  readonly clientId = randomUUID();
  /** The App Service style shared secret (`IDENTITY_HEADER`). */
  readonly identityHeader = randomBytes(16).toString('hex');
  /** When true the endpoint answers like IMDS for a group with no identity assigned. */
  noIdentity = false;
  private readonly tokens = new Map<string, IssuedToken>();

  constructor() {
    super('managed identity simulator');
  }

  start(host = '127.0.0.1', port = 0): Promise<string> {
    return this.listenOn(host, port);
  }

  /** Environment that makes `ManagedIdentityCredential` use this simulator (App Service style). */
  environment(): Record<string, string> {
    return { IDENTITY_ENDPOINT: `${this.baseUrl}${APP_SERVICE_PATH}`, IDENTITY_HEADER: this.identityHeader };
  }

  /** The token's record when it was issued here and has not expired. */
  lookup(accessToken: string): IssuedToken | undefined {
    const issued = this.tokens.get(accessToken);
    return issued && issued.expiresAt > Date.now() / 1000 ? issued : undefined;
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://identity');
    const resource = url.searchParams.get('resource');
    if (req.method !== 'GET' || (url.pathname !== IMDS_PATH && url.pathname !== APP_SERVICE_PATH)) {
      sendJson(res, 404, { error: 'not_found', error_description: 'no such endpoint' });
      return;
    }
    if (url.pathname === IMDS_PATH && req.headers.metadata !== 'true') {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
      return;
    }
    if (url.pathname === APP_SERVICE_PATH && req.headers['x-identity-header'] !== this.identityHeader) {
      sendJson(res, 401, { statusCode: 401, message: 'Unauthorized: the X-IDENTITY-HEADER is missing or wrong' });
      return;
    }
    if (!url.searchParams.get('api-version') || !resource) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'api-version and resource are required' });
      return;
    }
    if (this.noIdentity) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'Identity not found' });
      return;
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    this.tokens.set(token, { principalId: this.principalId, resource, expiresAt });
    sendJson(res, 200, {
      access_token: token,
      client_id: this.clientId,
      expires_in: '3600',
      expires_on: String(expiresAt),
      resource,
      token_type: 'Bearer',
    });
  }
}
