/**
 * `npm run bench [-- --quick] [-- --tool wrk|autocannon] [-- --no-build]`: the operator's
 * performance figures, each measured in this run next to its reference (issues 6, 15, 16). The
 * operator is the compiled `uid2 operator` (built first), as production runs it:
 *   - default thread count (the headline) and one thread: each route against a bare node:http
 *     server with as many reusePort threads, per server CPU-second and per second;
 *   - identity map v3 and v2 (one thread) against the crypto limit (openssl SHA-256 speed);
 *   - production-scale data (2^20 buckets, 10M opt-out records): memory of the whole operator
 *     at 1, 2 and 4 threads, start to healthy, and generate p99 during a salt swap vs steady.
 * Everything runs on 127.0.0.1; servers are child processes; results go to bench/results.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEmails, prepareDataset } from './bench-data.ts';
import { blocksPerMappedEmail, measureHashRate } from './crypto-limit.ts';
import { pickLoadTool, type LoadTool } from './load-runner.ts';
import { perCpuSecond, type LoadSettings } from './measured-load.ts';
import { measureProduction, type ProductionFigures } from './production-scale.ts';
import { writeOptOutPartitions } from './prod-data.ts';
import { checkTable, loadTable, rowFigures, writeResults, type Check } from './report.ts';
import { MAP_V2_BATCH, MAP_V3_BATCH, measureConfiguration, type Configuration, type Row, type RowKey } from './throughput.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const toolArg = argv.indexOf('--tool');
const tool: LoadTool = pickLoadTool(toolArg >= 0 ? argv[toolArg + 1] : undefined);
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

const cfg = quick
  ? { durationS: 3, rounds: 1, warmupS: 2, bareWarmupS: 1, hashSeconds: 1, prodBuckets: 2 ** 16, prodOptOut: 500_000, connections: 32, optOut: 100_000 }
  : { durationS: 10, rounds: 2, warmupS: 5, bareWarmupS: 2, hashSeconds: 3, prodBuckets: 2 ** 20, prodOptOut: 10_000_000, connections: 32, optOut: 1_000_000 };
/** Rows of the default thread count (the headline) and of one thread. */
const DEFAULT_ROWS: readonly RowKey[] = ['generate', 'refresh', 'key_sharing'];
const ONE_THREAD_ROWS: readonly RowKey[] = ['generate', 'refresh', 'key_sharing', 'map_v3', 'map_v2', 'optout_status', 'client_generate'];
/** Memory is measured at these thread counts (issue 16). */
const MEMORY_THREADS = [1, 2, 4];
/** Issue 16's memory target: 1.2 GiB. */
const RSS_TARGET_MB = 1.2 * 1024;

const work = mkdtempSync(join(tmpdir(), 'uid2-bench-'));
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** The operator runs from dist/ as in production: compile the current sources first. */
function build(): void {
  if (argv.includes('--no-build')) return;
  log('building dist/ (tsc -p tsconfig.build.json)');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', here('../tsconfig.build.json')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('the build failed');
}

type Results = Record<string, number | string | boolean>;

/** Figures of one row under `prefix` (`generate`, `default_generate`, ...). */
function rowResults(prefix: string, r: Row, perCpuIsHeadline: boolean): Results {
  const f = rowFigures(r);
  return {
    [`${prefix}_rps`]: r.operator.rps,
    [`${prefix}_p50_ms`]: r.operator.p50Ms,
    [`${prefix}_p99_ms`]: r.operator.p99Ms,
    [`${prefix}_per_cpu_s`]: perCpuSecond(r.operator),
    [`${prefix}_bare_rps`]: r.bare.rps,
    [`${prefix}_bare_per_cpu_s`]: perCpuSecond(r.bare),
    [`${prefix}_bare_cpu_per_thread`]: f.bareCpuPerThread,
    [`${prefix}_load_tool_bound`]: f.loadToolBound,
    [`${prefix}_other_cores`]: f.otherCores,
    // The default thread count's `_vs_bare` is per CPU-second (issue 16's headline); the
    // one-thread keys keep their earlier meaning (req/s), with `_cpu` beside them.
    ...(perCpuIsHeadline ? { [`${prefix}_vs_bare`]: f.perCpu, [`${prefix}_vs_bare_rps`]: f.rps } : { [`${prefix}_vs_bare`]: f.rps, [`${prefix}_vs_bare_cpu`]: f.perCpu }),
  };
}

function mapResults(prefix: string, r: Row, limit: number): Results {
  const emailsPerS = r.operator.rps * r.batch!;
  const emailsPerCpuS = perCpuSecond(r.operator) * r.batch!;
  return {
    [`${prefix}_rps`]: r.operator.rps,
    [`${prefix}_p50_ms`]: r.operator.p50Ms,
    [`${prefix}_p99_ms`]: r.operator.p99Ms,
    [`${prefix}_emails_per_s`]: emailsPerS,
    [`${prefix}_emails_per_cpu_s`]: emailsPerCpuS,
    [`${prefix}_vs_crypto_limit`]: emailsPerS / limit,
    [`${prefix}_vs_crypto_limit_cpu`]: emailsPerCpuS / limit,
  };
}

const rowOf = (c: Configuration, key: RowKey) => c.rows.find((r) => r.key === key)!;

function productionResults(p: ProductionFigures): Results {
  const at = (t: number) => p.byThreads.find((b) => b.threads === t);
  const byThreads: Results = {};
  for (const b of p.byThreads) {
    byThreads[`prod_rss_mb_threads_${b.threads}`] = b.rssMb;
    byThreads[`prod_start_to_healthy_s_threads_${b.threads}`] = b.startToHealthyS;
  }
  return {
    prod_buckets: cfg.prodBuckets,
    prod_optout_entries: cfg.prodOptOut,
    prod_rss_mb: at(p.defaultThreads)!.rssMb,
    prod_rss_after_swap_mb: p.swapRssMb,
    prod_start_to_healthy_s: at(p.defaultThreads)!.startToHealthyS,
    ...byThreads,
    prod_rss_4_vs_1: (at(4)?.rssMb ?? NaN) / (at(1)?.rssMb ?? NaN),
    steady_p99_ms: p.steady.p99Ms,
    salt_swap_p99_ms: p.swap.p99Ms,
    salt_swap_p99_ratio: p.swap.p99Ms / p.steady.p99Ms,
    salt_swap_observed: p.swapped,
    salt_swap_requests: p.swap.requests,
    salt_swap_non2xx: p.swap.non2xx,
    salt_swap_errors: p.swap.errors,
    salt_swap_other_cores: Math.max(p.steady.otherCores, p.swap.otherCores),
  };
}

function checks(r: Results, p: ProductionFigures): Check[] {
  const n = (k: string) => r[k] as number;
  const min = (k: string, name: string, target: number): Check => ({ name, value: n(k), target: `>= ${target}`, pass: n(k) >= target });
  const info = (k: string, name: string): Check => ({ name, value: n(k), target: '(reported)' });
  const slowestStart = Math.max(...p.byThreads.map((b) => b.startToHealthyS));
  return [
    min('default_generate_vs_bare', `generate / bare per CPU-s, ${r.threads} threads`, 0.6),
    min('default_refresh_vs_bare', `refresh / bare per CPU-s, ${r.threads} threads`, 0.6),
    info('default_key_sharing_vs_bare', `key/sharing / bare per CPU-s, ${r.threads} threads`),
    min('generate_vs_bare_cpu', 'generate / bare per CPU-s, 1 thread', 0.7),
    min('refresh_vs_bare_cpu', 'refresh / bare per CPU-s, 1 thread', 0.7),
    info('key_sharing_vs_bare_cpu', 'key/sharing / bare per CPU-s, 1 thread'),
    info('optout_status_vs_bare_cpu', 'optout/status / bare per CPU-s, 1 thread'),
    info('client_generate_vs_bare_cpu', 'client-generate / bare per CPU-s, 1 thread'),
    min('map_vs_crypto_limit', 'map v3 emails/s / crypto limit, 1 thread', 0.4),
    info('map_v2_vs_crypto_limit', 'map v2 emails/s / crypto limit, 1 thread'),
    ...MEMORY_THREADS.map((t) => ({ name: `prod RSS MB, ${t} thread${t === 1 ? '' : 's'}`, value: n(`prod_rss_mb_threads_${t}`), target: `<= ${RSS_TARGET_MB.toFixed(0)}`, pass: n(`prod_rss_mb_threads_${t}`) <= RSS_TARGET_MB })),
    { name: 'prod RSS 4 threads / 1 thread', value: n('prod_rss_4_vs_1'), target: '<= 1.15', pass: n('prod_rss_4_vs_1') <= 1.15 },
    { name: 'prod start to healthy s (slowest)', value: slowestStart, target: '<= 5', pass: slowestStart <= 5 },
    { name: 'generate p99 during salt swap / steady', value: n('salt_swap_p99_ratio'), target: '<= 1.5, swapped', pass: n('salt_swap_p99_ratio') <= 1.5 && p.swapped },
    { name: 'non-2xx during salt swap', value: n('salt_swap_non2xx'), target: '0', pass: n('salt_swap_non2xx') === 0 },
  ];
}

async function main(): Promise<void> {
  const t0 = performance.now();
  build();
  log(`${quick ? 'quick' : 'full'} run, load tool ${tool}, work dir ${work}`);
  const s: LoadSettings = { tool, work, connections: cfg.connections, durationS: cfg.durationS };
  const plan = { operatorWarmupS: cfg.warmupS, bareWarmupS: cfg.bareWarmupS, rounds: cfg.rounds };
  const hash = await measureHashRate(cfg.hashSeconds);
  const ds = await prepareDataset(join(work, 'small'), 4096);
  writeOptOutPartitions(ds.dir, cfg.optOut);
  const out = process.stdout;
  const def = await measureConfiguration(s, plan, ds, undefined, DEFAULT_ROWS, quick, log);
  out.write(`\n${loadTable(`${def.threads} threads (default)`, def.rows)}\n\n`);
  const one = await measureConfiguration(s, plan, ds, 1, ONE_THREAD_ROWS, quick, log);
  out.write(`${loadTable('1 thread', one.rows)}\n\n`);
  const prod = await measureProduction(s, cfg.warmupS, work, { buckets: cfg.prodBuckets, optOuts: cfg.prodOptOut }, { counts: MEMORY_THREADS, default: def.threads }, log);

  const shape = { firstLevelSaltLength: ds.firstLevelSaltLength, bucketSaltLength: ds.bucketSaltLength };
  const blocksV3 = blocksPerMappedEmail({ emails: benchEmails(MAP_V3_BATCH), ...shape, previousSalt: ds.previousSalt });
  // Map v2 answers the current raw UID only.
  const blocksV2 = blocksPerMappedEmail({ emails: benchEmails(MAP_V2_BATCH), ...shape, previousSalt: false });
  const limitV3 = hash.blocksPerS / blocksV3;
  const limitV2 = hash.blocksPerS / blocksV2;
  const gen = rowOf(one, 'generate');
  const results: Results = {
    mode: quick ? 'quick' : 'full',
    load_tool: tool,
    hash_source: hash.source,
    threads: def.threads,
    ...Object.assign({}, ...DEFAULT_ROWS.map((k) => rowResults(`default_${k}`, rowOf(def, k), true))),
    ...Object.assign({}, ...(['generate', 'refresh', 'key_sharing', 'optout_status', 'client_generate'] as const).map((k) => rowResults(k, rowOf(one, k), false))),
    bare_rps: gen.bare.rps,
    ...mapResults('map', rowOf(one, 'map_v3'), limitV3),
    ...mapResults('map_v2', rowOf(one, 'map_v2'), limitV2),
    sha256_blocks_per_s: hash.blocksPerS,
    sha256_blocks_per_email: blocksV3,
    sha256_blocks_per_email_v2: blocksV2,
    crypto_limit_emails_per_s: limitV3,
    crypto_limit_v2_emails_per_s: limitV2,
    ...productionResults(prod),
    errors: [...def.rows, ...one.rows].reduce((n, r) => n + r.operator.errors, 0) + prod.steady.errors + prod.swap.errors,
  };
  results.elapsed_s = (performance.now() - t0) / 1000;

  out.write(`crypto limit (one core): ${hash.blocksPerS.toFixed(0)} SHA-256 64-byte ops/s (${hash.source}) / ${blocksV3.toFixed(2)} blocks per v3 email = ${limitV3.toFixed(0)} emails/s (v2: ${blocksV2.toFixed(2)} blocks, ${limitV2.toFixed(0)} emails/s)\n`);
  out.write(`map v3: ${(results.map_emails_per_s as number).toFixed(0)} emails/s, ${(results.map_emails_per_cpu_s as number).toFixed(0)} per CPU-s; map v2: ${(results.map_v2_emails_per_s as number).toFixed(0)} emails/s, ${(results.map_v2_emails_per_cpu_s as number).toFixed(0)} per CPU-s\n`);
  out.write(`production scale (${cfg.prodBuckets} buckets, ${cfg.prodOptOut} opt-outs): ${prod.byThreads.map((b) => `${b.threads} threads: RSS ${b.rssMb} MB, healthy in ${b.startToHealthyS.toFixed(2)} s`).join('; ')}\n`);
  out.write(
    `salt swap (${prod.defaultThreads} threads, unique envelopes): p99 steady ${prod.steady.p99Ms.toFixed(2)} ms, during the swap ${prod.swap.p99Ms.toFixed(2)} ms, ${prod.swap.requests} requests, ${prod.swap.non2xx} non-2xx (swap ${prod.swapped ? 'observed' : 'NOT observed'}); other work ${Math.max(prod.steady.otherCores, prod.swap.otherCores).toFixed(2)} cores; RSS during the swap ${prod.swapRssMb} MB (replay table of 4M entries)\n\n`,
  );
  out.write(`${checkTable(checks(results, prod))}\n`);
  const file = here('./results.json');
  writeResults(file, results);
  out.write(`\nresults written to ${file} (${(results.elapsed_s as number).toFixed(0)} s)\n`);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
