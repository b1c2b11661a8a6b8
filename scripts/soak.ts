/**
 * `npm run soak -- --minutes N [--load 0.7] [--rate R] [--mix-rate M] [--operators K]` (issues 7, 16).
 *
 * 1. Starts the local stack (`uid2 stack`: Core, OptOut, K attested operators as `uid2 operator`
 *    runs them by default: one process, a request thread per CPU).
 * 2. Calibrates on the first operator: the benchmark's load tool (wrk) drives generate, refresh
 *    and key/sharing closed loop for `--calibration-seconds`; the soak rate is `--load` (70%) of
 *    that maximum, unless `--rate` gives one.
 * 3. For N minutes, holds that rate open loop with wrk (scripts/soak/paced-load.ts says how)
 *    while the SDK mix (generate, refresh, map, sharing, logout through OptOut) runs beside it at
 *    `--mix-rate` for correctness; the operator's RSS (all its processes) is sampled every second.
 *    Growth compares the median RSS just after warm-up (25% of the run, at most 150 s: long enough
 *    for the replay guard's 2-minute window to fill) with the median of the last 30 s.
 * Progress goes to stderr; the last stdout line is
 * `soak: rate held R req/s (target T) for N min, E errors (...), p99 X ms, rss growth G%`.
 * Exit code 1 when E > 0.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { loadDataset, refreshTokenPool } from '../bench/bench-data.ts';
import { pickLoadTool } from '../bench/load-runner.ts';
import { residentBytes } from '../bench/process-stats.ts';
import { startStack } from '../src/cli/stack/local-stack.ts';
import { Uid2Client } from '../src/client/uid2-client.ts';
import { runOpenLoop } from './soak/load-driver.ts';
import { loadMix } from './soak/load-mix.ts';
import { ENVELOPE_SHARE, calibrate, runPaced, type LoadSource, type PacedTarget } from './soak/paced-load.ts';

const opts = new Command()
  .name('soak')
  .option('--minutes <n>', 'soak duration in minutes', '10')
  .option('--rate <rps>', 'wrk requests per second (default: --load × the calibrated maximum)')
  .option('--load <fraction>', 'share of the calibrated maximum', '0.7')
  .option('--calibration-seconds <s>', 'length of the maximum-throughput measurement', '10')
  .option('--mix-rate <rps>', 'requests per second of the SDK mix beside the load', '50')
  .option('--segment-seconds <s>', 'length of one wrk run (each gets fresh envelopes)', '30')
  .option('--connections <n>', 'wrk connections', '32')
  .option('--replay-capacity <n>', 'operator replay_guard_capacity (one client sends the whole load)', '4000000')
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
const replayCapacity = num('replay-capacity', opts.replayCapacity);
const log = (line: string) => process.stderr.write(`soak: ${line}\n`);
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
const mib = (bytes: number | undefined) => ((bytes ?? 0) / 2 ** 20).toFixed(1);

if (pickLoadTool() !== 'wrk') {
  process.stderr.write('soak: needs wrk (apt-get install wrk): the load is driven and paced by it\n');
  process.exit(2);
}

const dir = await mkdtemp(join(tmpdir(), 'uid2-soak-'));
log(`starting the stack in ${dir}`);
const stack = await startStack({
  dataDir: dir,
  operators: num('operators', opts.operators),
  buckets: num('buckets', opts.buckets),
  operatorEnv: { replay_guard_capacity: String(replayCapacity) },
});
let exitCode = 0;
try {
  const s = stack.summary;
  const pid = stack.operators[0].pid;
  // The operator's listening line, in its log, names its thread count.
  const threads = Number(/listening on .*, (\d+) threads/.exec(await readFile(join(stack.dataDir, 'logs', 'operator-0.log'), 'utf8'))?.[1] ?? 0);
  const ds = loadDataset(stack.dataDir);
  const src: LoadSource = { ds, refreshTokens: await refreshTokenPool(ds, 20_000) };
  const target: PacedTarget = { port: Number(new URL(s.operators[0]).port), loadThreads: Math.max(1, Math.min(2, threads || 2)), connections: num('connections', opts.connections), work: dir };

  let rate = opts.rate === undefined ? undefined : num('rate', opts.rate);
  let max: number | undefined;
  if (rate === undefined) {
    const seconds = num('calibration-seconds', opts['calibrationSeconds']);
    log(`calibrating: wrk closed loop, ${target.connections} connections, generate/refresh/key sharing, ${seconds} s`);
    const cal = await calibrate(src, target, seconds);
    max = cal.rps;
    rate = Math.max(1, Math.round(max * load));
    log(`maximum ${max.toFixed(0)} req/s (${cal.errors} errors, p99 ${cal.p99Ms.toFixed(1)} ms); soak rate ${rate} req/s (${Math.round(load * 100)}%)`);
  }
  const segmentS = num('segment-seconds', opts['segmentSeconds']);
  // The replay table keeps an envelope until its timestamp leaves the 120 s window; one client may hold half of it.
  const needed = rate * ENVELOPE_SHARE * (120 + segmentS) * 2;
  if (needed > replayCapacity) log(`warning: ${rate} req/s keeps ~${Math.round(needed / 2)} envelopes in the replay window, more than half of --replay-capacity ${replayCapacity}: expect 503s`);

  const clients = s.operators.map((baseUrl) => new Uid2Client({ baseUrl, apiKey: s.api_key, secretKey: s.secret }));
  const runId = `${process.pid}-${Date.now()}`;
  const ops = clients.flatMap((c, i) => loadMix(c, `${runId}-${i}`));
  const durationMs = minutes * 60_000;
  const warmupMs = Math.min(150_000, durationMs * 0.25);
  const rss: { t: number; bytes: number }[] = [];
  let lastReport = 0;
  log(`${rate} req/s through wrk and ${opts.mixRate} req/s of SDK mix for ${minutes} min`);
  const [paced, mix] = await Promise.all([
    runPaced(src, target, { rate, durationS: Math.round(durationMs / 1000), segmentS }),
    runOpenLoop(ops, {
      ratePerSecond: num('mix-rate', opts.mixRate),
      durationMs,
      onTick(elapsed, r) {
        const bytes = residentBytes(pid);
        if (bytes !== undefined) rss.push({ t: elapsed, bytes });
        if (elapsed - lastReport >= 30_000) {
          lastReport = elapsed;
          log(`${(elapsed / 1000).toFixed(0)} s: SDK mix ${r.requests} requests, ${r.errors} errors; rss ${mib(bytes)} MiB`);
        }
      },
    }),
  ]);
  const baseline = median(rss.filter((x) => x.t >= warmupMs && x.t < warmupMs + 30_000).map((x) => x.bytes));
  const final = median(rss.filter((x) => x.t >= durationMs - 30_000).map((x) => x.bytes));
  const growth = ((final - baseline) / baseline) * 100;
  for (const [kind, count] of mix.errorKinds) log(`error ${count}× ${kind}`);
  const held = paced.requests / paced.wallS;
  log(`wrk: ${paced.requests} requests in ${paced.segments} segments, ${paced.non2xx} non-2xx, ${paced.errors - paced.non2xx} transport errors, worst segment p99 ${paced.p99Ms.toFixed(1)} ms`);
  log(`SDK mix: ${mix.requests} requests, ${mix.errors} errors, p99 ${mix.percentile(99).toFixed(1)} ms`);
  log(`rss start ${mib(rss[0]?.bytes)} MiB, after warm-up ${mib(baseline)} MiB, end ${mib(final)} MiB, max ${mib(Math.max(...rss.map((x) => x.bytes)))} MiB (operator pid ${pid}, ${threads || '?'} threads)`);
  if (paced.failure !== undefined) log(`wrk stopped early: ${paced.failure}`);
  const errors = paced.errors + mix.errors + (paced.failure !== undefined ? 1 : 0);
  const target_ = max === undefined ? `${rate}` : `${rate} = ${Math.round(load * 100)}% of ${max.toFixed(0)}`;
  process.stdout.write(
    `soak: rate held ${held.toFixed(0)} req/s (target ${target_}) for ${minutes} min, ${errors} errors (wrk ${paced.errors}${paced.failure !== undefined ? ' and stopped early' : ''}, SDK mix ${mix.errors}), p99 ${paced.p99Ms.toFixed(1)} ms, rss growth ${Number.isFinite(growth) ? growth.toFixed(1) : 'n/a'}%\n`,
  );
  exitCode = errors > 0 ? 1 : 0;
} catch (err) {
  log(`failed: ${err instanceof Error ? err.message : String(err)}`);
  exitCode = 1;
} finally {
  await stack.stop();
  if (exitCode !== 0) {
    // Keep the services' logs of a failed soak.
    const kept = `${dir}-logs`;
    await cp(join(dir, 'logs'), kept, { recursive: true }).catch(() => undefined);
    log(`logs kept in ${kept}`);
  }
  await rm(dir, { recursive: true, force: true });
}
process.exit(exitCode);
