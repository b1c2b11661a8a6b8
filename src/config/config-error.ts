/** A configuration that cannot be used; the message says which key and why (never its value if secret). */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';

  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
