/**
 * Gauges read from the operator's state when Prometheus scrapes (nothing on the request path):
 *
 * | name                                       | labels    | source (`OP:` uid2-operator, `SH:` uid2-shared, `src/main/java/com/uid2/...`) |
 * | app_status                                 | version   | OP:operator/Main.java `setupMetrics` ("app.status", 1, `IMAGE_VERSION`) |
 * | uid2_second_level_salt_last_updated_max    |           | OP:operator/monitoring/OperatorMetrics.java (epoch ms) |
 * | uid2_second_level_salt_last_updated_min    |           | same |
 * | uid2_encryption_key_activates              | site_id   | same (epoch s of each site's active key) |
 * | uid2_second_level_salt_current_effective   |           | spec §13.2 only (see docs/operations.md): `effective` (epoch ms) of the salt file in force |
 * | uid2_operator_startup_duration             |           | spec §13.2 only: seconds from process start to serving |
 *
 * Every series also carries the registry's `application="uid2-operator"` label, as upstream's
 * common tag. The salt gauges scan a million-line table once per salt file (cached per table).
 */
import { Gauge, type Registry } from 'prom-client';
import type { OperatorStores } from '../stores/operator-stores.ts';
import { activeKey, defaultKeyset } from '../stores/key-selection.ts';
import { saltFileAt } from '../stores/salt-store.ts';
import type { SaltTable } from '../stores/salt-table.ts';

export interface StateMetricsOptions {
  readonly registry: Registry;
  readonly stores: OperatorStores;
  readonly now: () => number;
  /** `IMAGE_VERSION` as upstream reads it; `unknown` when unset. */
  readonly version: string | undefined;
}

const saltRanges = new WeakMap<SaltTable, { min: number; max: number }>();

function lastUpdatedRange(table: SaltTable): { min: number; max: number } {
  let range = saltRanges.get(table);
  if (range === undefined) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < table.length; i++) {
      const t = table.lastUpdated(i);
      if (t < min) min = t;
      if (t > max) max = t;
    }
    range = { min, max };
    saltRanges.set(table, range);
  }
  return range;
}

export class StateMetrics {
  private startupSeconds: number | undefined;

  constructor(o: StateMetricsOptions) {
    const { registry, stores, now } = o;
    // Several request threads or processes report the same state: merging keeps one value.
    new Gauge({ name: 'app_status', help: 'application version and status', labelNames: ['version'], registers: [registry], aggregator: 'max' }).set(
      { version: o.version ?? 'unknown' },
      1,
    );
    const saltFile = () => {
      const salts = stores.salts.peek();
      return salts === undefined ? undefined : saltFileAt(salts.files, now());
    };
    const saltGauge = (name: string, help: string, read: (file: NonNullable<ReturnType<typeof saltFile>>) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const file = saltFile();
          if (file === undefined || file.entries.length === 0) return;
          this.set(read(file));
        },
      });
    saltGauge('uid2_second_level_salt_last_updated_max', 'max last updated timestamp within currently effective second level salts', (f) => lastUpdatedRange(f.entries).max);
    saltGauge('uid2_second_level_salt_last_updated_min', 'min last updated timestamp within currently effective second level salts', (f) => lastUpdatedRange(f.entries).min);
    saltGauge('uid2_second_level_salt_current_effective', 'effective time (epoch ms) of the salt file in force', (f) => f.effective);
    new Gauge({
      name: 'uid2_encryption_key_activates',
      help: 'activation time (epoch seconds) of the active encryption key by site id',
      labelNames: ['site_id'],
      registers: [registry],
      collect() {
        this.reset();
        const keysets = stores.keysets.peek();
        const keys = stores.keysetKeys.peek();
        if (keysets === undefined || keys === undefined) return;
        const nowMs = now();
        for (const siteId of keysets.bySite.keys()) {
          let keyset;
          try {
            keyset = defaultKeyset(keysets, siteId);
          } catch {
            continue; // an ambiguous default keyset has no single active key
          }
          const key = keyset && activeKey(keys, keyset.keysetId, nowMs);
          if (key) this.set({ site_id: String(siteId) }, key.activates);
        }
      },
    });
    const startup = this;
    new Gauge({
      name: 'uid2_operator_startup_duration',
      help: 'seconds from process start until the operator served requests',
      registers: [registry],
      aggregator: 'max',
      collect() {
        if (startup.startupSeconds !== undefined) this.set(startup.startupSeconds);
      },
    });
  }

  /** Called once the operator serves: records the time since the process started. */
  serving(): void {
    this.startupSeconds ??= process.uptime();
  }
}
