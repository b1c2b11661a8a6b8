/**
 * The `PodTerminationMonitor` health component (spec operator-spec.md §13.1): Kubernetes' pre-stop
 * hook creates a marker file (upstream `/app/pod_terminating/pod_terminating`) when the pod is
 * being stopped; while it exists `/ops/healthcheck` answers 503 so the load balancer drains this
 * replica before it exits. Checked every 3 s upstream (`pod_termination_check_interval`).
 */
import { stat } from 'node:fs/promises';
import type { HealthRegistry } from './health.ts';
import { Ticker } from '../sync/ticker.ts';

export const POD_TERMINATION_COMPONENT = 'PodTerminationMonitor';

export interface PodTerminationMonitorOptions {
  readonly file: string;
  readonly intervalMs: number;
  readonly health: HealthRegistry;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    // Missing (the normal case) or unreadable: only a marker we can see means "terminating".
    return false;
  }
}

export class PodTerminationMonitor {
  private readonly ticker = new Ticker(() => void this.check());

  constructor(private readonly o: PodTerminationMonitorOptions) {
    o.health.register(POD_TERMINATION_COMPONENT, 'not checked yet');
  }

  /** One check; returns true when the pod is terminating. */
  async check(): Promise<boolean> {
    const terminating = await exists(this.o.file);
    this.o.health.set(POD_TERMINATION_COMPONENT, !terminating, terminating ? 'pod is terminating' : '');
    return terminating;
  }

  /** Checks now, then every interval; the timer does not keep the process alive. */
  async start(): Promise<void> {
    await this.check();
    this.ticker.start(this.o.intervalMs);
  }

  stop(): void {
    this.ticker.stop();
  }
}
