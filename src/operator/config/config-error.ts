/** The operator's config errors are the shared `ConfigError` (src/config), re-exported where the operator has always found it. */
export { ConfigError } from '../../config/config-error.ts';
