/**
 * The bootstrap's error catalogue: the confidential-compute startup codes of upstream
 * `confidential_compute.py` / `azr.py` (spec attestation-azure.md §1.1). Each code has one class
 * name so logs and alerts read the same as upstream's. Messages never carry the operator key.
 */
export const BOOTSTRAP_ERRORS = {
  E02: 'OperatorKeyNotFoundError',
  E03: 'ConfigurationMissingError',
  E04: 'ConfigurationValueError',
  E05: 'OperatorKeyValidationError',
  E06: 'UID2ServicesUnreachableError',
  E08: 'OperatorKeyPermissionError',
  /** Not an upstream code: a failure outside the catalogue (sidecar never ready, vault down). */
  UNEXPECTED: 'UnexpectedStartupError',
} as const;

export type BootstrapErrorCode = keyof typeof BOOTSTRAP_ERRORS;

export class BootstrapError extends Error {
  constructor(
    readonly code: BootstrapErrorCode,
    message: string,
  ) {
    super(message);
    this.name = BOOTSTRAP_ERRORS[code];
  }

  /** `[E03] ConfigurationMissingError: ...`, the log line. */
  describe(): string {
    return `[${this.code}] ${this.name}: ${this.message}`;
  }
}
