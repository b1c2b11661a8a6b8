/**
 * CSTG origin and app checks (spec §9, upstream `DomainNameCheckUtil`): the `Origin` host's
 * registrable domain (eTLD+1 from the public-suffix list; `localhost` and `*.localhost` count as
 * `localhost`) must be one of the site's domain names; an `app_name` must equal one of the site's
 * app names, ignoring case.
 */
import { getDomain } from 'tldts';
import type { Site } from '../stores/site-store.ts';

export function registrableDomain(origin: string | undefined): string | undefined {
  if (!origin) return undefined;
  let host: string;
  try {
    host = new URL(origin).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return 'localhost';
  return getDomain(host) ?? undefined;
}

export function isOriginAllowed(site: Site | undefined, origin: string | undefined): boolean {
  const domain = registrableDomain(origin);
  return domain !== undefined && site !== undefined && site.domainNames.some((d) => d.toLowerCase() === domain);
}

export function isAppNameAllowed(site: Site | undefined, appName: string): boolean {
  const wanted = appName.toLowerCase();
  return site !== undefined && site.appNames.some((a) => a.toLowerCase() === wanted);
}
