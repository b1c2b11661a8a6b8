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
import type { Registry } from 'prom-client';
import { BoundLabels } from '../metrics/bound-labels.ts';
import { BufferedCounter } from '../metrics/buffered-counter.ts';
import type { RequestHead } from './request.ts';

export type PlatformType = 'InApp' | 'HasOriginHeader' | 'Other';

const IN_APP_MARKERS = ['Android', 'ios', 'tvos'];
const VERSION_SHAPE = /^[A-Za-z0-9._+-]{1,64}$/;
export const MAX_TRACKED_VERSIONS = 200;
export const OTHER_VERSION = 'other';

/** The client version a request names, header first, then `?client=`. */
export function clientVersionOf(head: Pick<RequestHead, 'headers' | 'query'>): string | undefined {
  const header = head.headers['x-uid2-client-version'];
  if (header !== undefined && header.length > 0) return header;
  if (head.query.length === 0) return undefined;
  const fromQuery = new URLSearchParams(head.query).get('client');
  return fromQuery === null || fromQuery.length === 0 ? undefined : fromQuery;
}

/** Upstream `getPlatformType`: in-app SDK version, else browser (Origin header), else other. */
export function platformTypeOf(head: Pick<RequestHead, 'headers'>): PlatformType {
  const version = head.headers['x-uid2-client-version'];
  if (version !== undefined && IN_APP_MARKERS.some((m) => version.includes(m))) return 'InApp';
  return head.headers.origin !== undefined ? 'HasOriginHeader' : 'Other';
}

/** The counter; the pipeline records every answered request (pipeline.ts `observe`). */
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
  record(head: Pick<RequestHead, 'headers' | 'query'>, contact: string | undefined): void {
    const version = clientVersionOf(head);
    if (version !== undefined) this.series.get(contact || 'unknown', this.label(version), platformTypeOf(head)).inc();
  }
}
