/**
 * The throughput rows of one configuration: the operator as `uid2 operator` runs it (with
 * `--threads N`, or its default thread count) next to a bare node:http server with the same
 * number of reusePort threads, both driven by the same load tool with the same settings and
 * bodies. Each row warms both, then measures them in turns (measured-load.ts `compareSides`).
 */
import { fileURLToPath } from 'node:url';
import { benchEmails, generatePayloads, refreshTokenPool, type BenchDataset } from './bench-data.ts';
import { startChild, type BenchChild } from './child-process.ts';
import { batchSide, compareSides, envelopeSide, poolSide, type LoadSettings, type Measured, type Payloads, type Side, type Target } from './measured-load.ts';
import { startOperatorProcess } from './operator-cli.ts';
import { OPTOUT_METADATA_PATH } from './prod-data.ts';
import { CSTG_HEADERS, cstgBodies, optoutStatusPayloads } from './route-requests.ts';

export type RowKey = 'generate' | 'refresh' | 'key_sharing' | 'map_v3' | 'map_v2' | 'optout_status' | 'client_generate';

export interface Row {
  readonly key: RowKey;
  readonly name: string;
  readonly operator: Measured;
  readonly bare: Measured;
  /** Identities per request (identity map rows). */
  readonly batch?: number;
}

export interface Configuration {
  readonly threads: number;
  readonly rows: Row[];
}

export const MAP_V3_BATCH = 5000;
export const MAP_V2_BATCH = 1000;
/** Advertising ids per optout/status request, half of them opted out. */
export const OPTOUT_STATUS_IDS = 10;
/**
 * The benchmark's one client sends 30k+ unique envelopes a second for minutes, more than the
 * default replay table (1M entries, half of them for one client: ~4,200 v2 requests/s per
 * client sustained over the 120 s window) admits; the throughput operators get a larger table.
 */
const REPLAY_CAPACITY = 4_000_000;

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const v2Headers = (ds: BenchDataset) => ({ Authorization: `Bearer ${ds.apiKey}`, 'Content-Type': 'text/plain' });
const asTarget = (c: BenchChild, warmupS: number): Target => ({ pid: c.pid, port: c.info.port, threads: c.info.threads, warmupS });

interface RowContext {
  readonly s: LoadSettings;
  readonly ds: BenchDataset;
  readonly op: Target;
  readonly bare: Target;
  readonly quick: boolean;
  /** Measured rounds per side (operator and bare take turns). */
  readonly rounds: number;
}

type RowRun = (c: RowContext) => Promise<Row>;

async function compareRow(c: RowContext, key: RowKey, name: string, op: Side, bare: Side, batch?: number): Promise<Row> {
  const r = await compareSides(op, bare, c.s.durationS, c.rounds);
  return { key, name, operator: r.operator, bare: r.bare, batch };
}

function envelopeRow(c: RowContext, key: RowKey, name: string, path: string, payloads: Payloads): Promise<Row> {
  const headers = v2Headers(c.ds);
  const op = envelopeSide(c.s, c.op, { path, headers, secret: c.ds.secret }, payloads, { rounds: c.rounds });
  return compareRow(c, key, name, op, poolSide(c.s, c.bare, { path: '/', headers }, () => op.sample()));
}

function poolRow(c: RowContext, key: RowKey, name: string, path: string, headers: Record<string, string>, bodies: string[]): Promise<Row> {
  return compareRow(c, key, name, poolSide(c.s, c.op, { path, headers }, bodies), poolSide(c.s, c.bare, { path: '/', headers }, bodies));
}

function mapRow(c: RowContext, key: RowKey, path: string, batch: number, answered: (body: Record<string, unknown[]> | undefined) => unknown[] | undefined): Promise<Row> {
  const payloads = [0, 1, 2, 3].map((k) => JSON.stringify({ email: benchEmails(batch, k * batch) }));
  const verify = (json: unknown) => {
    const list = answered((json as { body?: Record<string, unknown[]> }).body);
    if (list?.length !== batch) throw new Error(`verify: ${path} answered ${list?.length ?? 'no'} mappings for ${batch} emails`);
  };
  const spec = { path, apiKey: c.ds.apiKey, secret: c.ds.secret, payloads, concurrency: 2 };
  const name = `identity/map ${path.startsWith('/v3') ? 'v3' : 'v2'} x${batch}`;
  return compareRow(c, key, name, batchSide(c.op, { ...spec, verify }), batchSide(c.bare, { ...spec, path: '/' }), batch);
}

const ROWS: Record<RowKey, RowRun> = {
  generate: (c) => envelopeRow(c, 'generate', 'token/generate', '/v2/token/generate', generatePayloads),
  refresh: async (c) => poolRow(c, 'refresh', 'token/refresh', '/v2/token/refresh', { 'Content-Type': 'text/plain' }, await refreshTokenPool(c.ds, c.quick ? 5000 : 20_000)),
  key_sharing: (c) =>
    envelopeRow(c, 'key_sharing', 'key/sharing', '/v2/key/sharing', function* (n) {
      for (let i = 0; i < n; i++) yield '';
    }),
  map_v3: (c) => mapRow(c, 'map_v3', '/v3/identity/map', MAP_V3_BATCH, (b) => (b?.email?.every((e) => typeof (e as { u?: unknown }).u === 'string') ? b.email : undefined)),
  map_v2: (c) => mapRow(c, 'map_v2', '/v2/identity/map', MAP_V2_BATCH, (b) => b?.mapped),
  optout_status: (c) => envelopeRow(c, 'optout_status', `optout/status x${OPTOUT_STATUS_IDS}`, '/v2/optout/status', optoutStatusPayloads(c.ds.dir, OPTOUT_STATUS_IDS)),
  client_generate: (c) => poolRow(c, 'client_generate', 'token/client-generate', '/v2/token/client-generate', CSTG_HEADERS, cstgBodies(c.ds, c.quick ? 500 : 2000)),
};

/**
 * Starts the operator (`threads` undefined: its default) and a bare server with as many threads,
 * then measures `keys` in order. The data set has opt-out records, as an operator always has:
 * every generate and mapped email is looked up.
 */
export interface Plan {
  /** The operator's warm-up before each row: long enough for every thread's JIT to settle. */
  readonly operatorWarmupS: number;
  /** The bare server's (a few lines of code, warm at once). */
  readonly bareWarmupS: number;
  /** Measured rounds per side and row (operator and bare take turns). */
  readonly rounds: number;
}

export async function measureConfiguration(
  s: LoadSettings,
  plan: Plan,
  ds: BenchDataset,
  threads: number | undefined,
  keys: readonly RowKey[],
  quick: boolean,
  log: (m: string) => void,
): Promise<Configuration> {
  const op = await startOperatorProcess({ ds, threads, config: { optout_metadata_path: OPTOUT_METADATA_PATH, replay_guard_capacity: REPLAY_CAPACITY } });
  let bare: BenchChild | undefined;
  try {
    const n = op.info.threads;
    bare = await startChild(here('./bare-server.ts'), [String(n)]);
    const c: RowContext = { s, ds, op: asTarget(op, plan.operatorWarmupS), bare: asTarget(bare, plan.bareWarmupS), quick, rounds: plan.rounds };
    const rows: Row[] = [];
    for (const key of keys) {
      log(`${n} thread${n === 1 ? '' : 's'}: ${key}`);
      rows.push(await ROWS[key](c));
    }
    return { threads: n, rows };
  } finally {
    await Promise.all([op.stop(), bare?.stop()]);
  }
}
