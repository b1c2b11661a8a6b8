/** Services and service links (spec §11 "Local mode", §14 "Service links"). */
import { parseRoles, type Role } from '../../auth/index.ts';
import { jsonFileStore, type Versioned } from './store-definition.ts';
import { indexBy, parseRecords } from './store-json.ts';

export interface Service {
  readonly serviceId: number;
  readonly siteId: number;
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  readonly linkIdRegex: string | undefined;
  readonly disabled: boolean;
}

export interface ServiceLink {
  readonly linkId: string;
  readonly serviceId: number;
  readonly siteId: number;
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  readonly disabled: boolean;
}

export interface ServiceSnapshot extends Versioned {
  readonly byId: ReadonlyMap<number, Service>;
}

export interface ServiceLinkSnapshot extends Versioned {
  /** Keyed by `serviceLinkKey(serviceId, linkId)`. */
  readonly byKey: ReadonlyMap<string, ServiceLink>;
}

export function serviceLinkKey(serviceId: number, linkId: string): string {
  return `${serviceId}\u0000${linkId}`;
}

export function buildServiceSnapshot(json: unknown, version: number): ServiceSnapshot {
  const services = parseRecords(json, 'services', (f, o): Service => ({
    serviceId: f.int('service_id'),
    siteId: f.int('site_id'),
    name: f.optStr('name') ?? '',
    roles: parseRoles(o.roles),
    linkIdRegex: f.optStr('link_id_regex'),
    disabled: f.bool('disabled', false),
  }));
  const byId = indexBy(services, (s) => s.serviceId);
  return Object.freeze({ version, entryCount: byId.size, byId });
}

export function buildServiceLinkSnapshot(json: unknown, version: number): ServiceLinkSnapshot {
  const links = parseRecords(json, 'service_links', (f, o): ServiceLink => ({
    linkId: f.str('link_id'),
    serviceId: f.int('service_id'),
    siteId: f.int('site_id'),
    name: f.optStr('name') ?? '',
    roles: parseRoles(o.roles),
    disabled: f.bool('disabled', false),
  }));
  const byKey = indexBy(links, (l) => serviceLinkKey(l.serviceId, l.linkId));
  return Object.freeze({ version, entryCount: byKey.size, byKey });
}

export const serviceStore = jsonFileStore('services', 'services', buildServiceSnapshot);
export const serviceLinkStore = jsonFileStore('service_links', 'service_links', buildServiceLinkSnapshot);
