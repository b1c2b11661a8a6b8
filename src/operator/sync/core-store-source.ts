/**
 * `StoreSource` of attested mode (docs/architecture.md "Stores"; spec operator-spec.md §12.2):
 * metadata comes from Core's `*_metadata_path` URLs with the attestation headers, and each
 * `location` in it is a signed URL fetched by plain GET. Relative metadata paths resolve against
 * the origin of `core_attest_url`. The `optout` store resolves against the `optout_url` Core
 * returned at attestation and is sent the opt-out JWT (§12.2 "OptOut").
 */
import type { StoreMetadataPaths } from '../config/operator-config.ts';
import { StoreSourceError, type ContentOptions, type StoreName, type StoreSource } from '../stores/store-source.ts';
import { storeMemoryShared } from '../threads/job-thread.ts';
import type { Attestation } from './attestation-client.ts';
import type { AttestedFetcher } from './attested-fetcher.ts';

export interface CoreStoreSourceOptions {
  readonly fetcher: AttestedFetcher;
  readonly paths: StoreMetadataPaths;
  /** `core_attest_url`: relative metadata paths resolve against it. */
  readonly coreAttestUrl: string;
  /** Used when Core returned no `optout_url`: the origin of `optout_api_uri`. */
  readonly optoutFallbackUrl?: string;
}

/** The opt-out metadata URL: `optout_metadata_path` resolved against Core's `optout_url` (§12.2). */
export function optOutMetadataUrl(path: string, attestation: Attestation | undefined, fallbackBase: string | undefined): string {
  const base = attestation?.optoutUrl ?? fallbackBase;
  try {
    return new URL(path, base).href;
  } catch {
    throw new StoreSourceError('optout_metadata_path cannot be resolved: no optout_url from Core and no optout_api_uri');
  }
}

export class CoreStoreSource implements StoreSource {
  constructor(private readonly o: CoreStoreSourceOptions) {}

  async metadata(store: StoreName): Promise<unknown> {
    const path = this.o.paths[store];
    if (path === undefined) throw new StoreSourceError(`no ${store}_metadata_path configured`);
    if (store === 'optout') {
      return this.o.fetcher.getJson((a) => optOutMetadataUrl(path, a, this.o.optoutFallbackUrl), 'optout');
    }
    return this.o.fetcher.getJson(new URL(path, this.o.coreAttestUrl).href, 'core');
  }

  async content(location: string, options: ContentOptions = {}): Promise<Buffer> {
    let url: string;
    try {
      url = new URL(location, this.o.coreAttestUrl).href;
    } catch {
      throw new StoreSourceError('store location is not a URL');
    }
    return this.o.fetcher.download(url, { shared: options.kept === true && storeMemoryShared() });
  }
}
