#!/usr/bin/env node
// Runs every test/**/*.test.ts file with node:test through tsx (scripts/ts-loader.mjs, so threads
// started by a test load TypeScript too). The files are collected here; extra arguments filter
// them by substring.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(dir) {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : collect(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = collect('test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
// One file at a time by default: the end-to-end files start whole stacks of processes on free
// loopback ports, and two of them probing ports at once can race. TEST_CONCURRENCY=2 is faster.
const concurrency = process.env.TEST_CONCURRENCY ?? '1';
console.log(`run-tests: ${files.length} files on Node.js ${process.version}`);
const result = spawnSync(
  process.execPath,
  // A file (or test) still running after 10 minutes is hung: fail it instead of blocking the run.
  ['--import', './scripts/ts-loader.mjs', '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000', ...files.map((f) => relative('.', f))],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
