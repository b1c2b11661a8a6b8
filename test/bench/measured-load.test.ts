/**
 * The benchmark's arithmetic (bench/measured-load.ts, bench/report.ts): rounds combine into one
 * figure per side, the per-CPU-second ratio is the headline, and a reference server that did not
 * keep its threads busy is flagged as load-tool bound instead of being taken as the server's limit.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combine, cpuPerThread, perCpuSecond, type Measured } from '../../bench/measured-load.ts';
import { LOAD_TOOL_BOUND_BELOW, SHARED_ABOVE, loadTable, rowFigures } from '../../bench/report.ts';
import type { Row } from '../../bench/throughput.ts';

function run(o: Partial<Measured>): Measured {
  return { rps: 0, p50Ms: 1, p99Ms: 2, requests: 0, errors: 0, non2xx: 0, cpuS: 1, wallS: 1, threads: 1, otherCores: 0, ...o };
}

test('combine adds requests, CPU and wall time of the rounds; p99 is the worst round', () => {
  const c = combine([run({ requests: 1000, cpuS: 0.5, wallS: 1, p50Ms: 1, p99Ms: 3, errors: 1 }), run({ requests: 3000, cpuS: 1.5, wallS: 1, p50Ms: 3, p99Ms: 9, non2xx: 2 })]);
  assert.equal(c.requests, 4000);
  assert.equal(c.rps, 2000);
  assert.equal(c.cpuS, 2);
  assert.equal(c.p50Ms, 2);
  assert.equal(c.p99Ms, 9);
  assert.equal(c.errors, 1);
  assert.equal(c.non2xx, 2);
  assert.equal(perCpuSecond(c), 2000);
});

test('cpu per thread divides by wall time and thread count', () => {
  assert.equal(cpuPerThread(run({ cpuS: 3, wallS: 2, threads: 2 })), 0.75);
});

test('the headline ratio is per server CPU-second, whatever the req/s', () => {
  // The operator answered as many requests per second, but each cost twice the CPU.
  const row: Row = {
    key: 'generate',
    name: 'token/generate',
    operator: run({ requests: 10_000, rps: 10_000, cpuS: 1, wallS: 1 }),
    bare: run({ requests: 10_000, rps: 10_000, cpuS: 0.5, wallS: 1 }),
  };
  const f = rowFigures(row);
  assert.equal(f.perCpu, 0.5);
  assert.equal(f.rps, 1);
});

test('a reference under the CPU-per-thread threshold is flagged as load-tool bound, in the table too', () => {
  const bound: Row = { key: 'refresh', name: 'token/refresh', operator: run({ requests: 100, rps: 100 }), bare: run({ requests: 100, rps: 100, cpuS: 1.2, wallS: 2, threads: 2 }) };
  const busy: Row = { key: 'refresh', name: 'token/refresh', operator: run({ requests: 100, rps: 100 }), bare: run({ requests: 100, rps: 100, cpuS: 1.9, wallS: 2, threads: 1 }) };
  assert.ok(cpuPerThread(bound.bare) < LOAD_TOOL_BOUND_BELOW);
  assert.equal(rowFigures(bound).loadToolBound, true);
  assert.equal(rowFigures(busy).loadToolBound, false);
  assert.match(loadTable('t', [bound]), /1\.000\*/);
  assert.match(loadTable('t', [bound]), /LOAD TOOL BOUND/);
  assert.doesNotMatch(loadTable('t', [busy]), /LOAD TOOL BOUND/);
});

test('other work on the machine during a row marks it as shared', () => {
  const row: Row = { key: 'generate', name: 'g', operator: run({ requests: 1, rps: 1, otherCores: SHARED_ABOVE + 0.5 }), bare: run({ requests: 1, rps: 1, cpuS: 1, wallS: 1 }) };
  assert.equal(rowFigures(row).otherCores, SHARED_ABOVE + 0.5);
  assert.match(loadTable('t', [row]), /SHARED MACHINE/);
});
