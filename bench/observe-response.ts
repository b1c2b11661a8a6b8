/**
 * Per-request cost of `observeResponse` (src/operator/http/response-observer.ts), the one place
 * a request is observed: CPU time per call over a mix of routes, sites and statuses like the
 * benchmark's traffic (200s of generate, refresh and key sharing; a few 400/401 with their log
 * line going to a silent logger).
 *
 *   node --import tsx bench/observe-response.ts [repoRoot]
 *
 * `repoRoot` (default: this checkout) lets the same loop run against another tree, e.g. an
 * extracted earlier commit, for a before/after figure on the same machine in one sitting. The
 * usage log is attached when the tree has one (metrics.usage), as the operator attaches it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';

const root = resolve(process.argv[2] ?? '.');
const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);

const { observeResponse } = await load('src/operator/http/response-observer.ts');
const { OperatorMetrics } = await load('src/operator/metrics/operator-metrics.ts');
const { HealthRegistry } = await load('src/operator/metrics/health.ts');
const usageModule = await load('src/operator/metrics/usage-log.ts').catch(() => undefined);

const logger = pino({ level: 'silent' });
const metrics = new OperatorMetrics(new HealthRegistry());
if (usageModule) {
  metrics.usage = new usageModule.UsageLog({ logger, registry: metrics.registry, intervalMs: 60_000, maxInvalidPaths: 50, maxVersionBucketsPerSite: 50 });
}

const ROUTES = ['/v2/token/generate', '/v2/token/refresh', '/v2/key/sharing'];
const headers = { 'content-type': 'application/x-www-form-urlencoded' };
const observations = Array.from({ length: 64 }, (_, i) => {
  const statusCode = i % 32 === 0 ? 401 : i % 16 === 0 ? 400 : 200;
  const route = ROUTES[i % ROUTES.length]!;
  return {
    method: 'POST',
    route,
    statusCode,
    elapsedMs: 0.05 + (i % 7) * 0.1,
    siteId: statusCode === 401 ? undefined : 999 + (i % 4),
    errorInfo: statusCode >= 400 ? { status: 'client_error', message: 'x' } : undefined,
    url: route,
    caller: statusCode >= 400 ? { ip: '127.0.0.1', headers } : undefined,
    apiContact: statusCode === 401 ? undefined : 'Publisher',
    headers,
  };
});

function run(calls: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < calls; i++) observeResponse(metrics, logger, observations[i & 63]);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / calls;
}

run(200_000); // warm-up: series created, code optimized
const rounds = Array.from({ length: 9 }, () => run(1_000_000)).sort((a, b) => a - b);
console.log(
  JSON.stringify({ tree: root, usageLog: usageModule !== undefined, ns_per_call_median: Number(rounds[4]!.toFixed(1)), ns_per_call_min: Number(rounds[0]!.toFixed(1)) }),
);
