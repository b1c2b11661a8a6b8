/**
 * `npm run soak -- --minutes N [--rate R] [--load 0.7] [--operators K]` (issue 7 §5).
 *
 * 1. Starts the local stack (`uid2 stack`: Core, OptOut, K attested operators as child processes).
 * 2. Calibrates: a closed loop of the mixed load (generate, refresh, map, sharing, logout) at
 *    fixed concurrency measures the maximum throughput; the soak rate is `--load` (70%) of it,
 *    unless `--rate` gives one.
 * 3. Runs the mix open-loop at that rate for N minutes, sampling the first operator's RSS every
 *    second. Growth compares the median RSS just after warm-up (25% of the run, at most 150 s:
 *    long enough for caches such as the replay guard's 2-minute window to fill) with the median
 *    of the last 30 s.
 * Progress goes to stderr; the last stdout line is
 * `soak: R requests, E errors, p99 X ms, rss growth G%`. Exit code 1 when E > 0.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { startStack } from '../src/cli/stack/local-stack.ts';
import { Uid2Client } from '../src/client/uid2-client.ts';
import { runClosedLoop, runOpenLoop } from './soak/load-driver.ts';
import { loadMix } from './soak/load-mix.ts';
import { residentBytes } from './soak/process-memory.ts';

const opts = new Command()
  .name('soak')
  .option('--minutes <n>', 'soak duration in minutes', '10')
  .option('--rate <rps>', 'requests per second (default: --load × the calibrated maximum)')
  .option('--load <fraction>', 'share of the calibrated maximum', '0.7')
  .option('--calibration-seconds <s>', 'length of the maximum-throughput measurement', '20')
  .option('--concurrency <n>', 'closed-loop concurrency for calibration', '32')
  .option('--operators <n>', 'operators in the stack', '1')
  .option('--buckets <n>', 'salt buckets of the data set', '65536')
  .parse(process.argv)
  .opts<Record<string, string | undefined>>();

const num = (name: string, value: string | undefined) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`soak: --${name} must be a positive number\n`);
    process.exit(2);
  }
  return n;
};
const minutes = num('minutes', opts.minutes);
const load = num('load', opts.load);
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);

const dir = await mkdtemp(join(tmpdir(), 'uid2-soak-'));
log(`starting the stack in ${dir}`);
const stack = await startStack({ dataDir: dir, operators: num('operators', opts.operators), buckets: num('buckets', opts.buckets) });
let exitCode = 0;
try {
  const s = stack.summary;
  const clients = s.operators.map((baseUrl) => new Uid2Client({ baseUrl, apiKey: s.api_key, secretKey: s.secret }));
  const runId = `${process.pid}-${Date.now()}`;
  const ops = clients.flatMap((c, i) => loadMix(c, `${runId}-${i}`));

  let rate = opts.rate === undefined ? undefined : num('rate', opts.rate);
  if (rate === undefined) {
    const seconds = num('calibration-seconds', opts['calibrationSeconds']);
    log(`calibrating the maximum for ${seconds} s (closed loop, concurrency ${opts.concurrency})`);
    await runClosedLoop(ops, 8, 3000); // warm-up: JIT, caches, connection pools
    const cal = await runClosedLoop(ops, num('concurrency', opts.concurrency), seconds * 1000);
    const max = cal.requests / seconds;
    rate = Math.max(1, Math.round(max * load));
    log(`maximum ${max.toFixed(0)} req/s (${cal.errors} errors, p99 ${cal.percentile(99).toFixed(1)} ms); soak rate ${rate} req/s (${Math.round(load * 100)}%)`);
  }

  const durationMs = minutes * 60_000;
  const warmupMs = Math.min(150_000, durationMs * 0.25);
  const pid = stack.operators[0].pid;
  const rss: { t: number; bytes: number }[] = [];
  let lastReport = 0;
  const rec = await runOpenLoop(ops, {
    ratePerSecond: rate,
    durationMs,
    onTick(elapsed, r) {
      const bytes = residentBytes(pid);
      if (bytes !== undefined) rss.push({ t: elapsed, bytes });
      if (elapsed - lastReport >= 30_000) {
        lastReport = elapsed;
        log(`${(elapsed / 1000).toFixed(0)} s: ${r.requests} requests, ${r.errors} errors, rss ${((bytes ?? 0) / 2 ** 20).toFixed(1)} MiB`);
      }
    },
  });
  const baseline = median(rss.filter((x) => x.t >= warmupMs && x.t < warmupMs + 30_000).map((x) => x.bytes));
  const final = median(rss.filter((x) => x.t >= durationMs - 30_000).map((x) => x.bytes));
  const growth = ((final - baseline) / baseline) * 100;
  for (const [kind, count] of rec.errorKinds) log(`error ${count}× ${kind}`);
  log(`rate ${rate} req/s for ${minutes} min; rss start ${((rss[0]?.bytes ?? 0) / 2 ** 20).toFixed(1)} MiB, after warm-up ${(baseline / 2 ** 20).toFixed(1)} MiB, end ${(final / 2 ** 20).toFixed(1)} MiB, max ${(Math.max(...rss.map((x) => x.bytes)) / 2 ** 20).toFixed(1)} MiB`);
  process.stdout.write(`soak: ${rec.requests} requests, ${rec.errors} errors, p99 ${rec.percentile(99).toFixed(1)} ms, rss growth ${Number.isFinite(growth) ? growth.toFixed(1) : 'n/a'}%\n`);
  exitCode = rec.errors > 0 ? 1 : 0;
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);
