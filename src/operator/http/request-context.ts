/**
 * Per-request state the hooks attach for handlers (fastify decorators, typed here once).
 */
import type { ClientRecord } from '../../auth/index.ts';

export interface V2RequestState {
  /** Decrypted JSON object (or null for an empty data envelope). */
  readonly payload: Record<string, unknown> | null;
  /** Nonce to echo; absent when v2 encryption is off. */
  readonly nonce: Buffer | undefined;
  readonly respondBinary: boolean;
  readonly secret: Buffer | undefined;
}

/** What the error handler records so the response log line can name it. */
export interface ErrorInfo {
  readonly status: string;
  readonly message: string | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated API client (role-checked routes, and refresh when a key was sent). */
    client: ClientRecord | undefined;
    v2: V2RequestState | undefined;
    errorInfo: ErrorInfo | undefined;
    /** Site to report in metrics/logs when the route knows it without an API key (CSTG). */
    siteId: number | undefined;
  }
}
