/** The benchmark's output: a plain-text table on stdout and bench/results.json (flat numbers). */
import { writeFileSync } from 'node:fs';
import type { LoadResult } from './load-runner.ts';

export interface Row {
  readonly name: string;
  readonly operator: LoadResult;
  readonly bare?: LoadResult;
}

export interface Check {
  readonly name: string;
  readonly value: number;
  readonly target: string;
  readonly pass: boolean;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
}

export function loadTable(rows: readonly Row[]): string {
  const widths = [26, 10, 8, 8, 10, 8, 8, 7, 7];
  const head = pad(['load (1 worker)', 'req/s', 'p50 ms', 'p99 ms', 'bare req/s', 'bare p50', 'bare p99', 'ratio', 'errors'], widths);
  const lines = rows.map((r) =>
    pad(
      [
        r.name,
        fmt(r.operator.rps),
        fmt(r.operator.p50Ms, 2),
        fmt(r.operator.p99Ms, 2),
        r.bare ? fmt(r.bare.rps) : '-',
        r.bare ? fmt(r.bare.p50Ms, 2) : '-',
        r.bare ? fmt(r.bare.p99Ms, 2) : '-',
        r.bare ? fmt(r.operator.rps / r.bare.rps, 3) : '-',
        String(r.operator.errors + (r.bare?.errors ?? 0)),
      ],
      widths,
    ),
  );
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

export function checkTable(checks: readonly Check[]): string {
  const widths = [34, 12, 16, 6];
  const head = pad(['figure', 'value', 'target', 'met'], widths);
  const lines = checks.map((c) => pad([c.name, fmt(c.value, 3), c.target, c.pass ? 'yes' : 'NO'], widths));
  return [head, '-'.repeat(head.length), ...lines].join('\n');
}

/** Rounds every number to 4 significant decimals so the JSON stays readable. */
export function writeResults(path: string, results: Record<string, number | string | boolean>): void {
  const rounded = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e4) / 1e4 : v]));
  writeFileSync(path, `${JSON.stringify(rounded, null, 2)}\n`);
}
