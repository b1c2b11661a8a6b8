/**
 * Client SDK version metrics (spec §13.2 `uid2_client_sdk_versions_total`, §14 "Client version"):
 * the `X-UID2-Client-Version` header, or the `?client=` query parameter when the header is absent,
 * is used for metrics only and never changes an answer. Versions naming Android, iOS or tvOS mark
 * in-app traffic (upstream `SUPPORTED_IN_APP`); otherwise a request with an `Origin` header comes
 * from a browser.
 *
 * Upstream counts only versions it ships as static JS files; we serve none, so the label values are
 * bounded instead: a version must look like an SDK version string, and after `MAX_TRACKED_VERSIONS`
 * distinct values any new one is counted as "other".
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { BoundLabels } from '../metrics/bound-labels.ts';
import { BufferedCounter } from '../metrics/buffered-counter.ts';

export type PlatformType = 'InApp' | 'HasOriginHeader' | 'Other';

const IN_APP_MARKERS = ['Android', 'ios', 'tvos'];
const VERSION_SHAPE = /^[A-Za-z0-9._+-]{1,64}$/;
export const MAX_TRACKED_VERSIONS = 200;
export const OTHER_VERSION = 'other';

/** The client version a request names, header first, then `?client=`. */
export function clientVersionOf(request: Pick<FastifyRequest, 'headers' | 'url'>): string | undefined {
  const header = request.headers['x-uid2-client-version'];
  if (typeof header === 'string' && header.length > 0) return header;
  const query = request.url.indexOf('?');
  if (query < 0) return undefined;
  const fromQuery = new URLSearchParams(request.url.slice(query + 1)).get('client');
  return fromQuery === null || fromQuery.length === 0 ? undefined : fromQuery;
}

/** Upstream `getPlatformType`: in-app SDK version, else browser (Origin header), else other. */
export function platformTypeOf(request: Pick<FastifyRequest, 'headers'>): PlatformType {
  const version = request.headers['x-uid2-client-version'];
  if (typeof version === 'string' && IN_APP_MARKERS.some((m) => version.includes(m))) return 'InApp';
  return request.headers.origin !== undefined ? 'HasOriginHeader' : 'Other';
}

/** The counter, shared by the fastify hook and the hot-route front (fast-front.ts). */
export class ClientVersionMetrics {
  private readonly tracked = new Set<string>();
  private readonly series: BoundLabels<{ inc(): void }>;

  constructor(registry: Registry) {
    // Counted on every answered request: a buffered counter, so an increment is a plain add.
    const counter = new BufferedCounter({
      name: 'uid2_client_sdk_versions_total',
      help: 'HTTP requests per client SDK version (X-UID2-Client-Version header or ?client=)',
      labelNames: ['api_contact', 'client_version', 'platform_type'],
      registers: [registry],
    });
    this.series = new BoundLabels((values) => counter.series(values));
  }

  private label(version: string): string {
    if (!VERSION_SHAPE.test(version)) return OTHER_VERSION;
    if (this.tracked.has(version)) return version;
    if (this.tracked.size >= MAX_TRACKED_VERSIONS) return OTHER_VERSION;
    this.tracked.add(version);
    return version;
  }

  /** Counts one answered request; `contact` is the API key's contact when the key was checked. */
  record(request: Pick<FastifyRequest, 'headers' | 'url'>, contact: string | undefined): void {
    const version = clientVersionOf(request);
    if (version !== undefined) this.series.get(contact || 'unknown', this.label(version), platformTypeOf(request)).inc();
  }
}

export function installClientVersionMetrics(app: FastifyInstance, metrics: ClientVersionMetrics): void {
  // onResponse: the API key (when there is one) has been checked by then, so the contact is known.
  // Callback style, not async: no promise per request on the hot path (issue 6).
  app.addHook('onResponse', (request, _reply, done) => {
    metrics.record(request, request.client?.contact);
    done();
  });
}
