/** Sites with their CSTG domain and app names (spec §11 "Site record", §9). */
import { jsonFileStore, type Versioned } from './store-definition.ts';
import { indexBy, parseRecords } from './store-json.ts';

export interface Site {
  readonly id: number;
  readonly name: string;
  readonly enabled: boolean;
  readonly domainNames: readonly string[];
  readonly appNames: readonly string[];
}

export interface SiteSnapshot extends Versioned {
  readonly byId: ReadonlyMap<number, Site>;
}

export function buildSiteSnapshot(json: unknown, version: number): SiteSnapshot {
  const sites = parseRecords(json, 'sites', (f): Site => ({
    id: f.int('id'),
    name: f.optStr('name') ?? '',
    enabled: f.bool('enabled', false),
    domainNames: f.strArray('domain_names'),
    appNames: f.strArray('app_names'),
  }));
  const byId = indexBy(sites, (s) => s.id);
  return Object.freeze({ version, entryCount: byId.size, byId });
}

export const siteStore = jsonFileStore('sites', 'sites', buildSiteSnapshot);
