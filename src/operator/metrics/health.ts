/**
 * Component health for `/ops/healthcheck` (spec §13.1, upstream `HealthManager`): the process is
 * healthy when every registered component is; otherwise each unhealthy one contributes a
 * "<component>: <reason>" line.
 */
export interface ComponentStatus {
  readonly healthy: boolean;
  readonly reason: string;
}

export class HealthRegistry {
  private readonly components = new Map<string, ComponentStatus>();

  /** Registers a component, unhealthy until it reports otherwise. */
  register(name: string, reason = 'not started'): void {
    if (!this.components.has(name)) this.components.set(name, { healthy: false, reason });
  }

  set(name: string, healthy: boolean, reason = ''): void {
    this.components.set(name, { healthy, reason });
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
