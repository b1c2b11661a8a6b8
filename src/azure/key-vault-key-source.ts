/**
 * The operator key from Azure Key Vault, read with the container group's managed identity
 * (spec attestation-azure.md §1.1 steps 3 and 8, §6.1): `SecretClient(https://{vault}.vault.azure.net)
 * .getSecret(OPERATOR_KEY_SECRET_NAME)`.
 *
 * `ManagedIdentityCredential` (as upstream Java) picks its endpoint from the environment:
 * `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service style), or IMDS at 169.254.169.254 (host
 * overridable with `AZURE_POD_IDENTITY_AUTHORITY_HOST`). Which one confidential ACI offers is an
 * open point (§7.1); both work, and the simulator in `sim/` speaks both.
 *
 * Failures map to the bootstrap's codes like upstream `azr.py`: a missing secret is `not-found`
 * (E02), an identity that cannot get a token or may not read the secret is `permission` (E08).
 */
import { AuthenticationError, CredentialUnavailableError, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';

/** Where an operator key comes from; other sources (env, config) implement the same shape. */
export interface OperatorKeySource {
  getOperatorKey(): Promise<string>;
}

export type KeyVaultErrorKind = 'not-found' | 'permission' | 'unavailable';

export class KeyVaultError extends Error {
  constructor(
    readonly kind: KeyVaultErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'KeyVaultError';
  }
}

export interface KeyVaultKeySourceOptions {
  vaultName: string;
  secretName: string;
  /** Defaults to `https://{vaultName}.vault.azure.net`; tests point it at the simulator. */
  vaultUrl?: string;
  /** Defaults to a `ManagedIdentityCredential` (user-assigned when `managedIdentityClientId` is set). */
  credential?: TokenCredential;
  managedIdentityClientId?: string;
  /** Extra trust anchor (PEM) for a test vault's self-signed certificate. */
  trustedCaPem?: string;
  /** A local vault is not under `*.vault.azure.net`, so the SDK's challenge-domain check must be off. */
  disableChallengeResourceVerification?: boolean;
  /** Retries of the managed-identity and vault calls (SDK defaults when unset). */
  maxRetries?: number;
}

export function defaultVaultUrl(vaultName: string): string {
  return `https://${vaultName}.vault.azure.net`;
}

export class KeyVaultKeySource implements OperatorKeySource {
  private readonly client: SecretClient;

  constructor(private readonly options: KeyVaultKeySourceOptions) {
    const retryOptions = options.maxRetries === undefined ? undefined : { maxRetries: options.maxRetries };
    const credential =
      options.credential ??
      new ManagedIdentityCredential({
        ...(options.managedIdentityClientId ? { clientId: options.managedIdentityClientId } : {}),
        ...(retryOptions ? { retryOptions } : {}),
      });
    this.client = new SecretClient(options.vaultUrl ?? defaultVaultUrl(options.vaultName), credential, {
      disableChallengeResourceVerification: options.disableChallengeResourceVerification ?? false,
      ...(options.trustedCaPem ? { tlsOptions: { ca: options.trustedCaPem } } : {}),
      ...(retryOptions ? { retryOptions } : {}),
    });
  }

  async getOperatorKey(): Promise<string> {
    let value: string | undefined;
    try {
      value = (await this.client.getSecret(this.options.secretName)).value;
    } catch (err) {
      throw classify(err, this.options.secretName);
    }
    if (!value) throw new KeyVaultError('not-found', `secret ${this.options.secretName} has no value`);
    return value;
  }
}

/** Messages name the secret, never its value or any token. */
function classify(err: unknown, secretName: string): KeyVaultError {
  if (err instanceof CredentialUnavailableError || err instanceof AuthenticationError) {
    return new KeyVaultError('permission', `managed identity could not get a Key Vault token: ${firstLine(err)}`);
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  if (status === 404) return new KeyVaultError('not-found', `secret ${secretName} not found in the vault`);
  if (status === 401 || status === 403) {
    return new KeyVaultError('permission', `the managed identity may not read secret ${secretName} (HTTP ${status})`);
  }
  return new KeyVaultError('unavailable', `Key Vault request failed: ${firstLine(err)}`);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0].slice(0, 300);
}
