// scratch: profile the operator (threads T) under a wrk load of one route
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelopePool, generatePayloads, prepareDataset, refreshTokenPool } from './bench-data.ts';
import { startCommand } from './child-process.ts';
import { cpuSeconds } from './process-stats.ts';
import { runLoad } from './load-runner.ts';
import { OPTOUT_METADATA_PATH, writeOptOutPartitions } from './prod-data.ts';
import { writeFileSync } from 'node:fs';

const threads = process.argv[2] ?? '1';
const route = process.argv[3] ?? 'generate';
const profDir = process.argv[4] ?? '';
const work = mkdtempSync(join(tmpdir(), 'prof-'));
const ds = await prepareDataset(join(work, 'd'), 4096);
writeOptOutPartitions(ds.dir, 1_000_000);
const extra = join(ds.dir, 'x.json');
writeFileSync(extra, JSON.stringify({ optout_metadata_path: OPTOUT_METADATA_PATH, replay_guard_capacity: 4000000 }));
const flags = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
const op = await startCommand({ command: process.execPath, args: [...flags, 'bin/uid2.mjs', 'operator', '--data', ds.dir, '--config', ds.configFile, '--config', extra, '--port', '0', '--metrics-port', '0', '--host', '127.0.0.1', '--threads', threads],
  show: (l) => !l.startsWith('{'),
  ready: (l) => { const m = /:(\d+) \(metrics/.exec(l); return m ? { port: Number(m[1]) } : undefined; } });
for (let i = 0; i < 6; i++) { const a = cpuSeconds(op.pid); await new Promise((r) => setTimeout(r, 1000)); console.log(`idle second ${i}: ${(cpuSeconds(op.pid) - a).toFixed(2)} CPU-s`); }
const h = { Authorization: `Bearer ${ds.apiKey}`, 'Content-Type': 'text/plain' };
let bodies: string[]; let path: string; let headers = h;
if (route === 'refresh') { bodies = await refreshTokenPool(ds, 20000); path = '/v2/token/refresh'; headers = { 'Content-Type': 'text/plain' } as typeof h; }
else if (route === 'sharing') { bodies = envelopePool(ds.secret, Array.from({ length: 400000 }, () => '')); path = '/v2/key/sharing'; }
else { bodies = envelopePool(ds.secret, generatePayloads(400000, 0)); path = '/v2/token/generate'; }
const t = Number(threads) > 1 ? 2 : 1;
await runLoad('wrk', { port: op.info.port, path, headers, bodies: bodies.slice(0, 60000), connections: 32, durationS: Number(process.env.WARM ?? 3), threads: t }, work);
const c0 = cpuSeconds(op.pid);
const r = await runLoad('wrk', { port: op.info.port, path, headers, bodies: route === 'refresh' ? bodies : bodies.slice(60000), connections: 32, durationS: 10, threads: t }, work);
const cpu = cpuSeconds(op.pid) - c0;
console.log(`${route} threads ${threads}: ${r.rps.toFixed(0)} req/s, errors ${r.errors}, ${(cpu * 1e6 / r.requests).toFixed(1)} us CPU/request, ${(r.requests / cpu).toFixed(0)} req/CPU-s`);
await op.stop();
