/**
 * Component health for `/ops/healthcheck` (spec §13.1, upstream `HealthManager`): the process is
 * healthy when every registered component is; otherwise each unhealthy one contributes a
 * "<component>: <reason>" line.
 */
export interface ComponentStatus {
  readonly healthy: boolean;
  readonly reason: string;
}

export type HealthEntry = readonly [name: string, healthy: boolean, reason: string];

export class HealthRegistry {
  private readonly components = new Map<string, ComponentStatus>();
  private readonly watchers: ((entries: HealthEntry[]) => void)[] = [];

  /** Registers a component, unhealthy until it reports otherwise. */
  register(name: string, reason = 'not started'): void {
    if (!this.components.has(name)) this.set(name, false, reason);
  }

  set(name: string, healthy: boolean, reason = ''): void {
    const before = this.components.get(name);
    this.components.set(name, { healthy, reason });
    if (this.watchers.length > 0 && (before?.healthy !== healthy || before.reason !== reason)) {
      const entries = this.snapshot();
      for (const w of this.watchers) w(entries);
    }
  }

  /** Calls `watcher` with every component after each change (request threads mirror it). */
  watch(watcher: (entries: HealthEntry[]) => void): void {
    this.watchers.push(watcher);
  }

  snapshot(): HealthEntry[] {
    return [...this.components].map(([name, c]) => [name, c.healthy, c.reason] as const);
  }

  /** Takes another registry's state as it is (a request thread mirrors the process's). */
  replace(entries: readonly HealthEntry[]): void {
    this.components.clear();
    for (const [name, healthy, reason] of entries) this.components.set(name, { healthy, reason });
  }

  entries(): [string, ComponentStatus][] {
    return [...this.components.entries()];
  }

  isHealthy(): boolean {
    return [...this.components.values()].every((c) => c.healthy);
  }

  /** Lines for the 503 body, one per unhealthy component. */
  unhealthyLines(): string[] {
    return this.entries().filter(([, c]) => !c.healthy).map(([name, c]) => `${name}: ${c.reason}`);
  }
}
