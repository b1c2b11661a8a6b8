/**
 * API usage log lines, as upstream's stats collector writes them (`OP:monitoring/StatsCollectorVerticle.java`,
 * `StatsCollectorHandler.java`, `ClientVersionStatRecorder.java`; `OP:` = IABTechLab/uid2-operator
 * `src/main/java/com/uid2/operator`). Every interval (60 s upstream, `api_usage_log_interval_ms`
 * here) one JSON line per endpoint and site:
 *
 *   {"msg":"api usage","endpoint":"token/generate","siteId":999,"apiVersion":"v2",
 *    "domainList":[{"domain":"publisher.example","count":12,"apiContact":"Publisher"}]}
 *
 * `domain` is the Referer's host (`unknown` without one); for CSTG it is the Origin's host or the
 * app name, so each CSTG line counts per domain/app name. Then one `version log` line per site
 * with the counts of `X-UID2-Client-Version` values since start (upstream never clears them).
 *
 * Bounds, as upstream: at most `logging_limit_max_invalid_paths_per_interval` paths that are not
 * endpoints per interval (only from authenticated callers), at most 1000 domains per line (beyond:
 * `uid2_api_usage_domain_missed_total`), at most `logging_limit_max_version_buckets_per_site`
 * versions per site (beyond: `NotRecorded`).
 *
 * Upstream keys a line by path alone (its `siteId` is the first caller's); here by path and site.
 * Nothing from a request body is logged: paths that are not endpoints, version strings and
 * Referer hosts are kept only when they have the shape of one, so no identity, token or key can
 * reach a line.
 */
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { UPSTREAM_ENDPOINTS } from './vertx-http-view.ts';

export const MAX_DOMAINS_PER_LINE = 1000;
export const NOT_RECORDED = 'NotRecorded';
const UNKNOWN = 'unknown';
/** A path that is not an endpoint is logged only in this shape (no `@`, no long digit runs). */
const SAFE_PATH = /^\/[A-Za-z0-9/._-]{0,99}$/;
const DIGIT_RUN = /[0-9]{6,}/;
const SAFE_VERSION = /^[A-Za-z0-9._+-]{1,64}$/;
const SAFE_NAME = /^[A-Za-z0-9.:_-]{1,253}$/;
const HOST_CACHE_LIMIT = 1000;

export interface UsageLogOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly intervalMs: number;
  readonly maxInvalidPaths: number;
  readonly maxVersionBucketsPerSite: number;
}

interface DomainStat {
  readonly domain: string;
  count: number;
  readonly apiContact: string | null;
}

type VersionCounts = Map<number, Map<string, number>>;

class EndpointStat {
  readonly domains = new Map<string, DomainStat>();

  constructor(
    readonly path: string,
    readonly siteId: number | null,
  ) {}
}

/** The path as logged: as given when it has the shape of a path, else `/invalid` (no identity can pass). */
export function safePath(path: string): string {
  return SAFE_PATH.test(path) && !DIGIT_RUN.test(path) ? path : '/invalid';
}

/** Upstream's split of a path into API version and endpoint (`/v2/token/generate` → v2, token/generate). */
export function splitPath(path: string): { apiVersion: string; endpoint: string } {
  if (path.length > 1 && path[1] === 'v') {
    const slash = path.indexOf('/', 1);
    return slash > 1 ? { apiVersion: path.slice(1, slash), endpoint: path.slice(slash + 1) } : { apiVersion: 'unknown', endpoint: path.slice(1) };
  }
  return { apiVersion: 'v0', endpoint: path.slice(1) };
}

/** One interval's counts, as a request thread hands them to its process (`take` / `merge`). */
export interface UsageTally {
  readonly lines: readonly { readonly path: string; readonly siteId: number | null; readonly domains: readonly DomainStat[] }[];
  /** Client versions counted since the last `take`, per site. */
  readonly versions: readonly (readonly [siteId: number, counts: readonly (readonly [version: string, count: number])[]])[];
}

export class UsageLog {
  /** path → site (-1: none) → stat. */
  private readonly paths = new Map<string, Map<number, EndpointStat>>();
  private invalidPaths = 0;
  private invalidLimitLogged = false;
  private readonly versions: VersionCounts = new Map();
  /** The versions counted since the last `take` (a request thread's share of `versions`). */
  private versionsTaken: VersionCounts = new Map();
  private readonly hosts = new Map<string, string>();
  /** Something was recorded since the last flush: an idle interval writes nothing. */
  private dirty = false;
  private readonly domainMissed: Counter;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly o: UsageLogOptions) {
    this.domainMissed = new Counter({
      name: 'uid2_api_usage_domain_missed_total',
      help: 'counter for how many domains are missed because the dictionary is full',
      registers: [o.registry],
    });
  }

  /** The host of a Referer or Origin header (`unknown` when absent or not a URL); cached. */
  hostOf(header: string | undefined): string {
    if (header === undefined || header.length === 0) return UNKNOWN;
    let host = this.hosts.get(header);
    if (host === undefined) {
      try {
        host = new URL(header).hostname;
      } catch {
        host = UNKNOWN;
      }
      if (!SAFE_NAME.test(host)) host = UNKNOWN;
      if (this.hosts.size >= HOST_CACHE_LIMIT) this.hosts.clear();
      this.hosts.set(header, host);
    }
    return host;
  }

  /** A CSTG app name as a domain: kept when it has the shape of a bundle id or store id. */
  appName(name: string): string {
    return SAFE_NAME.test(name) ? name : UNKNOWN;
  }

  /**
   * Counts one answered request: a few map lookups, no allocation once the path, site and domain
   * were seen (the request path calls this for every answer).
   */
  record(path: string, siteId: number | undefined, apiContact: string | undefined, domain: string, clientVersion: string | undefined): void {
    this.dirty = true;
    const stat = this.statFor(path, siteId, apiContact);
    if (stat !== undefined) {
      const known = stat.domains.get(domain);
      if (known !== undefined) known.count++;
      else if (stat.domains.size < MAX_DOMAINS_PER_LINE) stat.domains.set(domain, { domain, count: 1, apiContact: apiContact ?? null });
      else this.domainMissed.inc();
    }
    if (siteId !== undefined && clientVersion !== undefined) {
      const name = SAFE_VERSION.test(clientVersion) ? clientVersion : NOT_RECORDED;
      this.countVersion(this.versions, siteId, name, 1);
      this.countVersion(this.versionsTaken, siteId, name, 1);
    }
  }

  private statFor(requestPath: string, siteId: number | undefined, apiContact: string | undefined): EndpointStat | undefined {
    let path = requestPath;
    let bySite = this.paths.get(path);
    if (bySite === undefined && !UPSTREAM_ENDPOINTS.has(path)) {
      // Upstream keeps other paths only from authenticated callers, and only so many per interval.
      if (apiContact === undefined) return undefined;
      if (this.invalidPaths >= this.o.maxInvalidPaths) {
        if (!this.invalidLimitLogged) {
          this.o.logger.error('max invalid paths reached; a large number of invalid paths have been requested from authenticated participants');
          this.invalidLimitLogged = true;
        }
        return undefined;
      }
      path = safePath(path);
      bySite = this.paths.get(path);
      if (bySite === undefined) this.invalidPaths++;
    }
    if (bySite === undefined) {
      bySite = new Map();
      this.paths.set(path, bySite);
    }
    const site = siteId ?? -1;
    let stat = bySite.get(site);
    if (stat === undefined) {
      stat = new EndpointStat(path, siteId ?? null);
      bySite.set(site, stat);
    }
    return stat;
  }

  private countVersion(into: VersionCounts, siteId: number, name: string, n: number): void {
    let counts = into.get(siteId);
    if (counts === undefined) {
      counts = new Map();
      into.set(siteId, counts);
    }
    const count = counts.get(name);
    if (count !== undefined) counts.set(name, count + n);
    else if (counts.size >= this.o.maxVersionBucketsPerSite) counts.set(NOT_RECORDED, (counts.get(NOT_RECORDED) ?? 0) + n);
    else counts.set(name, n);
  }

  /**
   * A request thread's interval (issue 16): the counts since the last `take`, handed to the
   * process, which `merge`s every thread's and writes one line per endpoint and site.
   */
  take(): UsageTally {
    const lines = [...this.paths.values()].flatMap((bySite) => [...bySite.values()].map((s) => ({ path: s.path, siteId: s.siteId, domains: [...s.domains.values()] })));
    const versions = [...this.versionsTaken].map(([siteId, counts]) => [siteId, [...counts]] as const);
    this.paths.clear();
    this.versionsTaken = new Map();
    this.invalidPaths = 0;
    this.dirty = false;
    return { lines, versions };
  }

  /** Adds a thread's counts (`take`) to this interval. */
  merge(t: UsageTally): void {
    for (const line of t.lines) {
      // The thread let the path through; here it only joins the others of its endpoint and site.
      let bySite = this.paths.get(line.path);
      if (bySite === undefined) {
        bySite = new Map();
        this.paths.set(line.path, bySite);
      }
      const site = line.siteId ?? -1;
      let stat = bySite.get(site);
      if (stat === undefined) {
        stat = new EndpointStat(line.path, line.siteId);
        bySite.set(site, stat);
      }
      for (const d of line.domains) {
        const known = stat.domains.get(d.domain);
        if (known !== undefined) known.count += d.count;
        else if (stat.domains.size < MAX_DOMAINS_PER_LINE) stat.domains.set(d.domain, { ...d });
        else this.domainMissed.inc();
      }
      this.dirty = true;
    }
    for (const [siteId, counts] of t.versions) {
      for (const [name, n] of counts) this.countVersion(this.versions, siteId, name, n);
      this.dirty = true;
    }
  }

  /** Writes the interval's lines and starts a new interval (version counts carry on, as upstream). */
  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    for (const bySite of this.paths.values()) {
      for (const stat of bySite.values()) {
        const { apiVersion, endpoint } = splitPath(stat.path);
        this.o.logger.info({ endpoint, siteId: stat.siteId, apiVersion, domainList: [...stat.domains.values()] }, 'api usage');
      }
    }
    for (const [siteId, counts] of this.versions) this.o.logger.info({ siteId, versions: Object.fromEntries(counts) }, 'version log');
    this.paths.clear();
    this.invalidPaths = 0;
    this.invalidLimitLogged = false;
  }

  start(): void {
    this.timer ??= setInterval(() => this.flush(), this.o.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
