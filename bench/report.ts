/** The benchmark's output: plain-text tables on stdout and bench/results.json (flat values). */
import { writeFileSync } from 'node:fs';
import { cpuPerThread, perCpuSecond, type Measured } from './measured-load.ts';
import type { Row } from './throughput.ts';

export interface Check {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  /** Undefined: reported, no target. */
  readonly pass?: boolean;
}

/**
 * Below this much CPU per thread over a run, the bare server was waiting for requests: the load
 * tool (sharing the machine's cores) set its req/s, so a req/s ratio against it is not the
 * operator's. The per-CPU-second ratio still is.
 */
export const LOAD_TOOL_BOUND_BELOW = 0.9;
/** Above this many cores of other work during a run, the machine was shared (another job ran). */
export const SHARED_ABOVE = 0.15;

export interface RowFigures {
  /** Operator requests per CPU-second over the bare server's. */
  readonly perCpu: number;
  /** Operator req/s over the bare server's. */
  readonly rps: number;
  readonly bareCpuPerThread: number;
  readonly loadToolBound: boolean;
  /** The most CPU other work used during the row's two runs, in cores. */
  readonly otherCores: number;
}

export function rowFigures(r: Row): RowFigures {
  const { bare } = r;
  const bareCpuPerThread = cpuPerThread(bare);
  return {
    perCpu: perCpuSecond(r.operator) / perCpuSecond(bare),
    rps: r.operator.rps / bare.rps,
    bareCpuPerThread,
    loadToolBound: bareCpuPerThread < LOAD_TOOL_BOUND_BELOW,
    otherCores: Math.max(r.operator.otherCores, bare.otherCores),
  };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

const side = (m: Measured) => [fmt(m.rps), fmt(m.p99Ms, 2), fmt(perCpuSecond(m)), fmt(cpuPerThread(m), 2)];

export function loadTable(title: string, rows: readonly Row[]): string {
  const widths = [26, 8, 7, 8, 5, 8, 7, 8, 5, 7, 8, 6, 6];
  const head = pad([title, 'req/s', 'p99 ms', 'req/CPUs', 'CPU/t', 'bare r/s', 'b p99', 'b r/CPUs', 'b C/t', 'per CPU', 'req/s x', 'other', 'errors'], widths);
  let bound = false;
  let shared = false;
  const lines = rows.map((r) => {
    const f = rowFigures(r);
    bound ||= f.loadToolBound;
    shared ||= f.otherCores > SHARED_ABOVE;
    const rpsRatio = `${fmt(f.rps, 3)}${f.loadToolBound ? '*' : ''}`;
    const other = `${fmt(f.otherCores, 2)}${f.otherCores > SHARED_ABOVE ? '#' : ''}`;
    return pad([r.name, ...side(r.operator), ...side(r.bare), fmt(f.perCpu, 3), rpsRatio, other, String(r.operator.errors + r.bare.errors)], widths);
  });
  const notes = [
    'req/CPUs: requests per server CPU-second; CPU/t: server CPU per request thread over the run; per CPU: operator req/CPUs over bare req/CPUs;',
    'other: cores that other work on the machine used during the row (the more of the two runs).',
  ];
  if (bound) notes.push(`* LOAD TOOL BOUND: the bare server used under ${LOAD_TOOL_BOUND_BELOW} CPU per thread, so the load tool, not the server, set its req/s; that req/s ratio is not the operator's (the per-CPU ratio is).`);
  if (shared) notes.push(`# SHARED MACHINE: other work used more than ${SHARED_ABOVE} cores during the row; its figures are disturbed.`);
  return [head, '-'.repeat(head.length), ...lines, ...notes].join('\n');
}

export function checkTable(checks: readonly Check[]): string {
  const widths = [44, 12, 18, 6];
  const head = pad(['figure', 'value', 'target', 'met'], widths);
  const lines = checks.map((c) => pad([c.name, fmt(c.value, 3), c.target, c.pass === undefined ? '-' : c.pass ? 'yes' : 'NO'], widths));
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

/** Rounds every number to 4 significant decimals so the JSON stays readable. */
export function writeResults(path: string, results: Record<string, number | string | boolean>): void {
  const rounded = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v]));
  writeFileSync(path, `${JSON.stringify(rounded, null, 2)}\n`);
}
