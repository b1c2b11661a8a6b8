/** Keeps the dependency direction of style.md §5 true by scanning import lines. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { importCycles, type ImportGraph } from './support/import-cycles.ts';
import { repoRoot } from './support/shared.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const src = join(repoRoot, 'src');
const sources = files(src).map((path) => ({
  path,
  area: relative(src, path).split(sep)[0],
  imports: [...readFileSync(path, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]),
  /** What loading the file loads: `import type` and `export type` lines are erased by the compiler. */
  valueImports: [...readFileSync(path, 'utf8').matchAll(/^\s*(import|export)(\s+type\b)?[^'"]*from\s+['"]([^'"]+)['"]/gm)].filter((m) => m[2] === undefined).map((m) => m[3]),
}));

function projectAreaOf(file: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = relative(src, join(file, '..', spec));
  return target.startsWith('..') ? 'outside' : target.split(sep)[0];
}

test('src/protocol imports nothing from the rest of the project and does no I/O', () => {
  const io = /^(node:)?(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|worker_threads|cluster|process)$/;
  for (const s of sources.filter((x) => x.area === 'protocol')) {
    for (const spec of s.imports) {
      const area = projectAreaOf(s.path, spec);
      assert.ok(area === undefined || area === 'protocol', `${relative(repoRoot, s.path)} imports ${spec}`);
      assert.ok(!io.test(spec), `${relative(repoRoot, s.path)} imports I/O module ${spec}`);
    }
    const text = readFileSync(s.path, 'utf8');
    assert.ok(!/\bprocess\.env\b|\bDate\.now\(/.test(text), `${relative(repoRoot, s.path)} reads the clock or environment`);
  }
});

test('src/client imports only protocol; nothing imports cli; only azure imports @azure/*', () => {
  for (const s of sources) {
    for (const spec of s.imports) {
      const area = projectAreaOf(s.path, spec);
      const where = `${relative(repoRoot, s.path)} imports ${spec}`;
      if (s.area === 'client') assert.ok(area === undefined || area === 'client' || area === 'protocol', where);
      if (s.area !== 'cli') assert.notEqual(area, 'cli', where);
      if (spec.startsWith('@azure/')) assert.equal(s.area, 'azure', where);
    }
  }
});

test('no source file is over 400 lines', () => {
  for (const s of sources) {
    const lines = readFileSync(s.path, 'utf8').split('\n').length;
    assert.ok(lines <= 420, `${relative(repoRoot, s.path)} has ${lines} lines`);
  }
});

/** Every source file and the source files it imports (relative specifiers, type-only included). */
function sourceGraph(): ImportGraph {
  return new Map(
    sources.map((s) => [
      relative(src, s.path),
      s.imports.filter((spec) => spec.startsWith('.')).map((spec) => relative(src, join(s.path, '..', spec))),
    ]),
  );
}

test('the import-cycle check finds a synthetic cycle, a self-import and nothing in a tree', () => {
  const cyclic: ImportGraph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts', 'd.ts']],
    ['d.ts', []],
    ['e.ts', ['e.ts']],
  ]);
  assert.deepEqual(importCycles(cyclic), [['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  assert.deepEqual(importCycles(new Map([['a.ts', ['b.ts', 'c.ts']], ['b.ts', ['c.ts']], ['c.ts', []]])), []);
});

test('no import cycles in src/', () => {
  const graph = sourceGraph();
  assert.ok(graph.size > 200, 'the whole tree is read');
  assert.deepEqual(importCycles(graph), []);
});

test('a request thread loads no config-file parser or CLI: it serves by the config the process parsed', () => {
  const byPath = new Map(sources.map((s) => [s.path, s]));
  const start = join(src, 'operator', 'threads', 'request-thread.ts');
  const loaded = new Set([start]);
  const packages = new Set<string>();
  for (const path of loaded) {
    for (const spec of byPath.get(path)?.valueImports ?? []) {
      if (spec.startsWith('.')) loaded.add(join(path, '..', spec));
      else packages.add(spec);
    }
  }
  assert.ok(loaded.size > 50 && packages.has('pino'), `the thread's graph is read (${loaded.size} files)`);
  for (const parser of ['yaml', 'commander']) assert.ok(!packages.has(parser), `a request thread loads ${parser}`);
});
