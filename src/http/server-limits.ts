/**
 * Transport limits of an HTTP server (issue 14 §1), one definition for every service: how long a
 * client may take to send its headers and its whole request, how long an idle keep-alive
 * connection stays open, how many connections are open at once and how many body bytes are
 * buffered at once (`body-budget.ts`). Each is a config key (seconds for times) described once
 * here; a service adds `SERVER_LIMIT_KEYS` to its own key table and reads the values with
 * `serverLimitsFrom`. Node enforces the times (`requestTimeout`, `headersTimeout`: a 408 then a
 * close, checked every `CONNECTIONS_CHECK_MS`) and the connection cap (`maxConnections`: new
 * sockets are closed at once).
 */
import type { Server, ServerOptions } from 'node:http';
import { intKey, type ConfigValue } from '../config/config-keys.ts';
import { ConfigError } from '../config/config-error.ts';

export interface ServerLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxBufferedBodyBytes: number;
}

/**
 * Defaults: 10 s for the headers and 30 s for the whole request (a 1 MiB body at ~35 KB/s);
 * keep-alive 65 s, above the 60 s idle timeout of common load balancers so they never reuse a
 * connection we just closed; 1,024 connections; 4 MiB of bodies, i.e. four maximum-size
 * (1 MiB) bodies at once, or hundreds of what Core's and OptOut's callers send (attestation
 * requests of a few KB, opt-out writes of a few bytes). A slow sender holding its share costs at
 * most the request timeout. A service with large bodies (the operator's identity maps) sets its own.
 */
export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1024,
  maxBufferedBodyBytes: 4 << 20,
});

/** How often Node looks for connections past their headers or request timeout. */
export const CONNECTIONS_CHECK_MS = 1000;

export const SERVER_LIMIT_KEYS = {
  http_headers_timeout_seconds: intKey(DEFAULT_SERVER_LIMITS.headersTimeoutMs / 1000),
  http_request_timeout_seconds: intKey(DEFAULT_SERVER_LIMITS.requestTimeoutMs / 1000),
  http_keep_alive_timeout_seconds: intKey(DEFAULT_SERVER_LIMITS.keepAliveTimeoutMs / 1000),
  http_max_connections: intKey(DEFAULT_SERVER_LIMITS.maxConnections),
  http_max_buffered_body_bytes: intKey(DEFAULT_SERVER_LIMITS.maxBufferedBodyBytes),
} as const;

export type ServerLimitKey = keyof typeof SERVER_LIMIT_KEYS;

function positive(raw: Partial<Record<ServerLimitKey, ConfigValue>>, key: ServerLimitKey, origin: string): number {
  const v = raw[key] ?? SERVER_LIMIT_KEYS[key].default;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new ConfigError(`${origin}: "${key}" must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

/** The typed limits from layered raw keys; headers must time out no later than the whole request. */
export function serverLimitsFrom(raw: Partial<Record<ServerLimitKey, ConfigValue>>, origin = 'config'): ServerLimits {
  const limits: ServerLimits = {
    headersTimeoutMs: positive(raw, 'http_headers_timeout_seconds', origin) * 1000,
    requestTimeoutMs: positive(raw, 'http_request_timeout_seconds', origin) * 1000,
    keepAliveTimeoutMs: positive(raw, 'http_keep_alive_timeout_seconds', origin) * 1000,
    maxConnections: positive(raw, 'http_max_connections', origin),
    maxBufferedBodyBytes: positive(raw, 'http_max_buffered_body_bytes', origin),
  };
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(`${origin}: "http_headers_timeout_seconds" must be <= "http_request_timeout_seconds"`);
  }
  return Object.freeze(limits);
}

/** Options for `http.createServer` (the checking interval can only be set there). */
export function nodeServerOptions(limits: ServerLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  };
}

/** Sets the limits a created server takes as properties (whoever created it). */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
}
