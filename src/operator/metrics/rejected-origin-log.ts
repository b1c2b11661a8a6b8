/**
 * The hourly summary of rejected CSTG origins and app names (`client_side_token_generate_log_invalid_http_origins`;
 * upstream `OP:vertx/UIDOperatorVerticle.java` `logInvalidOriginOrAppName`,
 * `generateInvalidOriginAndAppNameMessage`; `OP:` = IABTechLab/uid2-operator `src/main/java/com/uid2/operator`).
 * Each rejection adds the origin or app name to its site's set; a rejection at least an hour after
 * the last summary (or the start) writes one line and starts over:
 *
 *   InvalidHttpOriginAndAppName: site Publisher (123): https://wrong.example, com.wrong.app | site ...
 *
 * Origins and app names come from the caller, so only values shaped like an origin or an app id
 * are written (anything else as `<unrecognised>`), and each site keeps at most
 * `MAX_VALUES_PER_SITE` of them (upstream keeps every one).
 */
import type { Logger } from 'pino';

export const REJECTED_ORIGIN_LOG_INTERVAL_MS = 60 * 60_000;
export const MAX_VALUES_PER_SITE = 100;
const ORIGIN_SHAPE = /^https?:\/\/[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$/;
const APP_NAME_SHAPE = /^[A-Za-z0-9._-]{1,200}$/;
const UNRECOGNISED = '<unrecognised>';

export class RejectedOriginLog {
  private readonly bySite = new Map<number, Set<string>>();
  private lastWrittenMs: number;

  constructor(
    private readonly o: { readonly logger: Logger; readonly now: () => number; readonly siteName: (siteId: number) => string },
  ) {
    this.lastWrittenMs = o.now();
  }

  /** One rejected CSTG request: its Origin header (browser) or app name (in-app). */
  rejected(siteId: number, originOrAppName: string | undefined): void {
    let values = this.bySite.get(siteId);
    if (values === undefined) {
      values = new Set();
      this.bySite.set(siteId, values);
    }
    const value = originOrAppName === undefined ? 'null' : ORIGIN_SHAPE.test(originOrAppName) || APP_NAME_SHAPE.test(originOrAppName) ? originOrAppName : UNRECOGNISED;
    if (values.size < MAX_VALUES_PER_SITE) values.add(value);
    const now = this.o.now();
    if (now - this.lastWrittenMs < REJECTED_ORIGIN_LOG_INTERVAL_MS) return;
    this.lastWrittenMs = now;
    const entries = [...this.bySite].map(([id, set]) => `site ${this.o.siteName(id)} (${id}): ${[...set].join(', ')}`);
    this.o.logger.info(`InvalidHttpOriginAndAppName: ${entries.join(' | ')}`);
    this.bySite.clear();
  }
}
