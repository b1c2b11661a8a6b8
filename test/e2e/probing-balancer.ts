/**
 * The load balancer of the upgrade test, modelled on what AKS and Application Gateway do with the
 * operator's readiness probe (`GET /ops/healthcheck`, deploy/aks/operator.yaml, gateway.json):
 *
 * - every `probeMs` it probes each backend; a backend is in rotation while its last probe
 *   answered 200, and leaves it at the first other answer (unhealthyThreshold 1) or error;
 * - requests go round-robin to the backends in rotation; a request already sent to a backend
 *   that then leaves rotation is not retried or cut: it finishes on that backend;
 * - no backend in rotation is an outage: the request fails, as a 502/503 from the balancer would.
 *
 * `runLoad` keeps `concurrency` requests in flight until stopped and counts every outcome, so a
 * failed request anywhere across an upgrade shows.
 */
export class ProbingBalancer {
  private readonly ready = new Map<string, boolean>();
  private timer: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(private readonly probeMs: number) {}

  add(url: string): void {
    if (!this.ready.has(url)) this.ready.set(url, false);
  }

  remove(url: string): void {
    this.ready.delete(url);
  }

  isInRotation(url: string): boolean {
    return this.ready.get(url) === true;
  }

  start(): void {
    const tick = async () => {
      await Promise.all([...this.ready.keys()].map((url) => this.probe(url)));
      if (this.timer !== undefined) this.timer = setTimeout(tick, this.probeMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The next backend in rotation, or undefined when there is none. */
  pick(): string | undefined {
    const inRotation = [...this.ready].filter(([, ok]) => ok).map(([url]) => url);
    if (inRotation.length === 0) return undefined;
    return inRotation[this.next++ % inRotation.length];
  }

  private async probe(url: string): Promise<void> {
    let ok = false;
    try {
      const r = await fetch(`${url}/ops/healthcheck`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      ok = r.status === 200;
    } catch {
      ok = false;
    }
    if (this.ready.has(url)) this.ready.set(url, ok);
  }
}

export interface LoadReport {
  readonly ok: number;
  readonly failed: number;
  readonly servedBy: ReadonlyMap<string, number>;
  /** The first few failures, for the assertion message. */
  readonly errors: readonly string[];
}

export interface RunningLoad {
  /** Successful requests per backend so far. */
  served(url: string): number;
  stop(): Promise<LoadReport>;
}

export function runLoad(balancer: ProbingBalancer, send: (url: string) => Promise<void>, concurrency: number): RunningLoad {
  let running = true;
  let ok = 0;
  let failed = 0;
  const servedBy = new Map<string, number>();
  const errors: string[] = [];
  const fail = (why: string) => {
    failed++;
    if (errors.length < 10) errors.push(why);
  };
  const worker = async () => {
    while (running) {
      const url = balancer.pick();
      if (url === undefined) {
        fail('no backend in rotation');
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      try {
        await send(url);
        ok++;
        servedBy.set(url, (servedBy.get(url) ?? 0) + 1);
      } catch (err) {
        fail(`${url}: ${(err as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    served: (url) => servedBy.get(url) ?? 0,
    async stop() {
      running = false;
      await Promise.all(workers);
      return { ok, failed, servedBy, errors };
    },
  };
}
