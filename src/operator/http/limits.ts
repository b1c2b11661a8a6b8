/**
 * What one client may cost the operator's HTTP server before it has proved anything (issue 14):
 * time to send its headers and its whole request, idle time between keep-alive requests, a number
 * of connections, and bytes of request bodies held at once across every connection. Over a limit
 * the connection is answered (408, 503) and closed, never kept growing.
 */

export interface ServerLimits {
  /** Time for a request's headers to arrive (Node `headersTimeout`; 408 and close after it). */
  readonly headersTimeoutMs: number;
  /** Time for a whole request, body included, to arrive (Node `requestTimeout`; 408 and close). */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Connections over this many are closed as they arrive. */
  readonly maxConnections: number;
  /** Request-body bytes buffered at once across every connection; a body that would pass it gets 503 and a close. */
  readonly maxBufferedBodyBytes: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Above the 60 s idle timeout of Azure's Application Gateway and most proxies, so the proxy,
  // not the operator, closes an idle connection (and never sends on one the operator closed).
  keepAliveTimeoutMs: 72_000,
  maxConnections: 10_000,
  maxBufferedBodyBytes: 64 << 20,
};

/**
 * The bytes of request bodies held at once. A body takes its bytes as they arrive and gives them
 * back once answered or abandoned; `take` refuses what would pass the limit.
 */
export class BodyBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  get bytesHeld(): number {
    return this.held;
  }

  take(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held -= bytes;
  }
}
